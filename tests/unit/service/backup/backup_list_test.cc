// Cinder's list rules for backups: parameters, filters per microversion and role,
// sorting, markers and offsets.
#include "service/backup/backup_list.h"

#include <gtest/gtest.h>

namespace imagefs::service::backup {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

Result<BackupListQuery> Parse(const Query& q, int minor = 0, bool admin = false) {
  return ParseBackupListQuery(q, BackupListParams{minor, admin, "p"});
}

std::vector<Backup> Sample() {
  std::vector<Backup> out;
  const char* names[] = {"c", "a", "b", "a"};
  for (int i = 0; i < 4; ++i) {
    Backup b;
    b.id = "id" + std::to_string(i);
    b.project_id = i == 3 ? "q" : "p";
    b.name = names[i];
    b.status = i == 2 ? BackupStatus::kError : BackupStatus::kAvailable;
    b.created_at = 1000 + i;
    out.push_back(b);
  }
  return out;
}

std::vector<std::string> Ids(const Query& q, int minor = 0, bool admin = false) {
  Result<BackupListQuery> query = Parse(q, minor, admin);
  EXPECT_TRUE(query.ok()) << query.status();
  Result<BackupListPage> page = RunBackupList(Sample(), *query);
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  for (const auto& b : page->backups) ids.push_back(b.id);
  return ids;
}

TEST(BackupListTest, DefaultOrderIsNewestFirstWithinTheProject) {
  EXPECT_EQ(Ids({}), (std::vector<std::string>{"id2", "id1", "id0"}));
}

TEST(BackupListTest, AdminSeesEveryProjectOnlyWithAllTenants) {
  EXPECT_EQ(Ids({}, 0, true).size(), 3u);
  EXPECT_EQ(Ids({{"all_tenants", "1"}}, 0, true).size(), 4u);
  EXPECT_EQ(Parse({{"all_tenants", "maybe"}}, 0, true).status().message(),
            "all_tenants must be a boolean, got 'maybe'.");
}

TEST(BackupListTest, LimitAndOffsetFollowCinder) {
  EXPECT_EQ(Ids({{"limit", "2"}}), (std::vector<std::string>{"id2", "id1"}));
  EXPECT_EQ(Ids({{"limit", "2"}, {"offset", "1"}}), (std::vector<std::string>{"id1", "id0"}));
  EXPECT_EQ(Parse({{"limit", "x"}}).status().message(), "limit param must be an integer");
  EXPECT_EQ(Parse({{"limit", "-1"}}).status().message(), "limit param must be positive");
  EXPECT_EQ(Parse({{"limit", "5000"}})->limit, kMaxListLimit);
  EXPECT_EQ(Parse({{"offset", "-1"}}).status().code(), StatusCode::kInvalidArgument);
}

TEST(BackupListTest, MarkerStartsAfterItAndMustExistInScope) {
  EXPECT_EQ(Ids({{"marker", "id2"}}), (std::vector<std::string>{"id1", "id0"}));
  Result<BackupListPage> page = RunBackupList(Sample(), *Parse({{"marker", "id3"}}));
  EXPECT_EQ(page.status().message(), "Backup id3 could not be found.");
}

TEST(BackupListTest, SortKeysDirectionsAndNameFromVersion337) {
  EXPECT_EQ(Ids({{"sort", "display_name:asc"}}), (std::vector<std::string>{"id1", "id2", "id0"}));
  EXPECT_EQ(Ids({{"sort_key", "status"}, {"sort_dir", "asc"}}),
            (std::vector<std::string>{"id0", "id1", "id2"}));
  EXPECT_EQ(Ids({{"sort", "name:asc"}}, 37), (std::vector<std::string>{"id1", "id2", "id0"}));
  EXPECT_EQ(Parse({{"sort", "name"}}, 36).status().message(),
            "Invalid input received: Invalid sort key");
  EXPECT_EQ(Parse({{"sort", "id:up"}}).status().message(),
            "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.");
  EXPECT_FALSE(Parse({{"sort", "id"}, {"sort_key", "id"}}).ok());
}

TEST(BackupListTest, NonAdminFiltersAreCheckedFromVersion331) {
  EXPECT_EQ(Ids({{"name", "a"}}), (std::vector<std::string>{"id1"}));
  EXPECT_EQ(Ids({{"status", "error"}}), (std::vector<std::string>{"id2"}));
  EXPECT_EQ(Ids({{"container", "x"}}, 30).size(), 3u);  // dropped before 3.31
  EXPECT_EQ(Parse({{"container", "x"}, {"foo", "1"}}, 31).status().message(),
            "Invalid filters container,foo are found in query options.");
  EXPECT_TRUE(Parse({{"all_tenants", "1"}}, 31).ok());  // cinderclient always sends it
  EXPECT_TRUE(Ids({{"foo", "1"}}, 31, true).empty());   // admins: unknown column, no match
}

TEST(BackupListTest, WithCountIsAParameterFromVersion345) {
  Result<BackupListQuery> q = Parse({{"with_count", "true"}, {"limit", "1"}}, 45);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->with_count);
  EXPECT_EQ(RunBackupList(Sample(), *q)->total, 3u);
  EXPECT_EQ(Parse({{"with_count", "true"}}, 44).status().message(),
            "Invalid filters with_count are found in query options.");
  EXPECT_FALSE(Parse({{"with_count", "often"}}, 45).ok());
}

}  // namespace
}  // namespace imagefs::service::backup
