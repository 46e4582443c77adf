#include "fs/namespace_dirs.h"

#include <gtest/gtest.h>

#include "fs/backup_json.h"

namespace imagefs::fs {
namespace {

// A catalog with members and backups in memory; images are not needed here.
class StubClient final : public CatalogClient {
 public:
  Result<ImageListing> ListImages(const ListFilter&, const CallOptions&) override {
    return ImageListing{};
  }
  Result<wire::Image> GetImage(const std::string&, const CallOptions&) override {
    return NotFound("no");
  }
  Result<std::optional<wire::BlockMap>> GetBlockMap(const std::string&,
                                                    const CallOptions&) override {
    return std::optional<wire::BlockMap>();
  }
  Result<std::string> ReadRange(const std::string&, uint64_t, uint64_t,
                                const CallOptions&) override {
    return NotFound("no");
  }
  Result<wire::Image> PatchImage(const std::string&, const std::string&,
                                 const CallOptions&) override {
    return NotFound("no");
  }
  Result<ImageListing> ListSharedImages(const CallOptions&) override {
    ImageListing l;
    wire::Image img;
    img.id = "11111111-1111-4111-8111-111111111111";
    l.images.push_back(img);
    return l;
  }
  Result<std::vector<wire::Member>> ListMembers(const std::string& image,
                                                const CallOptions&) override {
    std::vector<wire::Member> out;
    for (const auto& m : members) {
      if (m.image_id == image) out.push_back(m);
    }
    return out;
  }
  Result<wire::Member> AddMember(const std::string& image, const std::string& member,
                                 const CallOptions&) override {
    for (const auto& m : members) {
      if (m.member_id == member) return AlreadyExists("member");
    }
    wire::Member m;
    m.image_id = image;
    m.member_id = member;
    members.push_back(m);
    return m;
  }
  Result<wire::Member> UpdateMember(const std::string&, const std::string& member,
                                    const std::string& status, const CallOptions&) override {
    for (auto& m : members) {
      if (m.member_id == member) {
        m.status = *wire::ParseMemberStatus(status);
        ++updates;
        return m;
      }
    }
    return NotFound("member");
  }
  Result<std::vector<BackupInfo>> ListBackups(const std::string&, const CallOptions&) override {
    return backups;
  }
  Result<BackupInfo> GetBackup(const std::string&, const std::string& id,
                               const CallOptions&) override {
    for (const auto& b : backups) {
      if (b.id == id) return b;
    }
    return NotFound("backup");
  }
  Status DeleteBackup(const std::string&, const std::string& id, const CallOptions&) override {
    ++deletes;
    std::erase_if(backups, [&](const BackupInfo& b) { return b.id == id; });
    return Status::Ok();
  }

  std::vector<wire::Member> members;
  std::vector<BackupInfo> backups;
  int updates = 0;
  int deletes = 0;
};

BackupInfo Backup(const std::string& id, std::optional<std::string> name, bool dependents) {
  BackupInfo b;
  b.id = id;
  b.name = std::move(name);
  b.status = "available";
  b.has_dependents = dependents;
  return b;
}

std::vector<std::string> Names(NamespaceDirs& ns, uint64_t dir) {
  std::vector<std::string> out;
  for (const auto& e : (*ns.List(dir))->entries) out.push_back(e.name);
  return out;
}

class NamespaceDirsTest : public ::testing::Test {
 protected:
  NamespaceDirs Make(std::string project = "p") {
    NamespaceOptions o;
    o.project = std::move(project);
    return NamespaceDirs(o, client_, SystemClock::Get(), [](std::vector<Change>) {});
  }
  StubClient client_;
};

TEST_F(NamespaceDirsTest, MembersTreeAndStatusValidation) {
  NamespaceDirs ns = Make();
  const std::string image = "11111111-1111-4111-8111-111111111111";
  EXPECT_EQ(Names(ns, kMembersDirIno), std::vector<std::string>{image});
  auto dir = ns.Lookup(kMembersDirIno, image);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->kind, NsNode::Kind::kImageMembers);
  EXPECT_GE(dir->ino, kFirstNamespaceIno);
  EXPECT_EQ(ns.Lookup(kMembersDirIno, "nope").status().code(), StatusCode::kNotFound);

  auto added = ns.AddMember(dir->ino, "q");
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(Names(ns, dir->ino), std::vector<std::string>{"q"});
  EXPECT_EQ(ns.AddMember(dir->ino, "q").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ns.SetMemberStatus(added->ino, "maybe").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client_.updates, 0);
  auto updated = ns.SetMemberStatus(added->ino, "accepted");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(ns.Get(added->ino)->member->status, wire::MemberStatus::kAccepted);
  // Stable inode for the same membership.
  EXPECT_EQ(ns.Lookup(dir->ino, "q")->ino, added->ino);
}

TEST_F(NamespaceDirsTest, BackupNamesAndDeleteRefusals) {
  client_.backups = {Backup("aaaaaaaa-0000-4000-8000-000000000001", "x", false),
                     Backup("bbbbbbbb-0000-4000-8000-000000000002", "x", false),
                     Backup("cccccccc-0000-4000-8000-000000000003", std::nullopt, true)};
  NamespaceDirs ns = Make();
  EXPECT_EQ(Names(ns, kBackupsDirIno),
            (std::vector<std::string>{"cccccccc-0000-4000-8000-000000000003", "x~aaaaaaaa",
                                      "x~bbbbbbbb"}));
  EXPECT_EQ(ns.DeleteBackup("cccccccc-0000-4000-8000-000000000003").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ns.DeleteBackup("nope").code(), StatusCode::kNotFound);
  EXPECT_TRUE(ns.DeleteBackup("x~aaaaaaaa").ok());
  EXPECT_EQ(client_.deletes, 1);
  EXPECT_EQ(Names(ns, kBackupsDirIno),
            (std::vector<std::string>{"cccccccc-0000-4000-8000-000000000003", "x"}));
}

TEST_F(NamespaceDirsTest, NoProjectMeansNoBackups) {
  client_.backups = {Backup("aaaaaaaa-0000-4000-8000-000000000001", "x", false)};
  NamespaceDirs ns = Make("");
  EXPECT_TRUE(Names(ns, kBackupsDirIno).empty());
  EXPECT_EQ(ns.TakeBackup("i", "n").status().code(), StatusCode::kUnimplemented);
}

TEST(BackupJsonTest, ParsesDetailFieldsAndPages) {
  auto page = ParseBackupPage(R"({"backups": [{"id": "b1", "name": null, "status": "available",
      "volume_id": "img", "imagefs:size_bytes": 5, "has_dependent_backups": true,
      "created_at": "2026-11-27T05:00:00.000000", "updated_at": null, "size": 1,
      "metadata": {"k": "v"}, "links": []}],
      "backups_links": [{"rel": "next", "href": "http://h/v3/p/backups/detail?marker=b1"}]})");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->backups.size(), 1u);
  const BackupInfo& b = page->backups[0];
  EXPECT_EQ(b.id, "b1");
  EXPECT_FALSE(b.name.has_value());
  EXPECT_EQ(b.image_id, "img");
  EXPECT_EQ(b.size_bytes, 5u);
  EXPECT_TRUE(b.has_dependents);
  EXPECT_GT(b.updated_us, 0);
  EXPECT_EQ(b.fields.at("metadata-k"), "v");
  EXPECT_EQ(b.fields.at("size"), "1");
  EXPECT_EQ(b.fields.count("name"), 0u);
  EXPECT_EQ(page->next, "http://h/v3/p/backups/detail?marker=b1");
  EXPECT_EQ(*ParseCreatedBackupId(R"({"backup": {"id": "n1", "name": "x"}})"), "n1");
  EXPECT_EQ(*ParseRestoredImageId(R"({"restore": {"backup_id": "b", "volume_id": "i"}})"), "i");
  EXPECT_FALSE(ParseBackupDetail("{}").ok());
}

TEST(BackupSourceIdTest, RoundTrips) {
  auto parsed = ParseBackupSourceId(BackupSourceId("proj", "b1"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->first, "proj");
  EXPECT_EQ(parsed->second, "b1");
  EXPECT_FALSE(ParseBackupSourceId("11111111-1111-4111-8111-111111111111").has_value());
}

}  // namespace
}  // namespace imagefs::fs
