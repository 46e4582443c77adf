// BackupCatalog on RocksDB: records, manifests, and block reference counts that
// move only together with a record.
#include "service/backup/backup_catalog.h"

#include <gtest/gtest.h>

#include "tests/unit/service/backup/backup_test_util.h"

namespace imagefs::service::backup {
namespace {

std::string D(char c) { return std::string(32, c); }

Manifest ManifestOf(std::vector<std::string> digests) {
  Manifest m;
  m.block_size = 4;
  m.size = 4 * digests.size();
  m.digests = std::move(digests);
  return m;
}

Status MakeAvailable(Backup& b) {
  b.status = BackupStatus::kAvailable;
  return Status::Ok();
}

class BackupCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    catalog_.reset();
    Result<std::unique_ptr<BackupCatalog>> c = OpenBackupCatalog({dir_.File("db"), false});
    ASSERT_TRUE(c.ok()) << c.status();
    catalog_ = std::move(c).value();
  }
  Backup Add(const std::string& id, const std::string& container = "c") {
    Backup b;
    b.id = id;
    b.project_id = "p";
    b.container = container;
    EXPECT_TRUE(catalog_->Create(b).ok());
    return b;
  }

  imagefs::testing::TempDir dir_{"backup-catalog-test"};
  std::unique_ptr<BackupCatalog> catalog_;
};

TEST_F(BackupCatalogTest, CreatedRecordsReadBackAndIdsAreUnique) {
  Backup b = Add("b1");
  EXPECT_EQ(*catalog_->Get("b1"), b);
  EXPECT_EQ(catalog_->Create(b).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->Get("nope").status().message(), "Backup nope could not be found.");
}

TEST_F(BackupCatalogTest, CompleteCountsEachDistinctDigestOncePerBackup) {
  Add("b1");
  Add("b2");
  ASSERT_TRUE(catalog_->Complete("b1", MakeAvailable, ManifestOf({D('a'), D('b'), D('a')})).ok());
  ASSERT_TRUE(catalog_->Complete("b2", MakeAvailable, ManifestOf({D('b')})).ok());
  EXPECT_EQ(catalog_->RefCount("c", D('a')), 1u);
  EXPECT_EQ(catalog_->RefCount("c", D('b')), 2u);
  EXPECT_EQ(catalog_->RefCount("other", D('b')), 0u);
  EXPECT_TRUE(catalog_->Get("b1")->counted);
  EXPECT_EQ(catalog_->Complete("b1", MakeAvailable, ManifestOf({D('a')})).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(BackupCatalogTest, UncountDropsReferencesAndRemoveNeedsIt) {
  Add("b1");
  ASSERT_TRUE(catalog_->Complete("b1", MakeAvailable, ManifestOf({D('a')})).ok());
  EXPECT_EQ(catalog_->Remove("b1").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(catalog_
                  ->Uncount("b1",
                            [](Backup& b) {
                              b.status = BackupStatus::kDeleting;
                              return Status::Ok();
                            })
                  .ok());
  EXPECT_EQ(catalog_->RefCount("c", D('a')), 0u);
  EXPECT_EQ(catalog_->GetManifest("b1")->digests.size(), 1u);
  ASSERT_TRUE(catalog_->Remove("b1").ok());
  EXPECT_EQ(catalog_->GetManifest("b1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->List().empty());
}

TEST_F(BackupCatalogTest, FailedMutationWritesNothing) {
  Add("b1");
  Result<Backup> r = catalog_->Update("b1", [](Backup& b) {
    b.name = "changed";
    return InvalidArgument("no");
  });
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(catalog_->Get("b1")->name.has_value());
}

TEST_F(BackupCatalogTest, RecordsCountsAndInstanceIdSurviveReopen) {
  Add("b1");
  ASSERT_TRUE(catalog_->Complete("b1", MakeAvailable, ManifestOf({D('a'), D('b')})).ok());
  std::string instance = catalog_->instance_id();
  Reopen();
  EXPECT_EQ(catalog_->instance_id(), instance);
  EXPECT_EQ(catalog_->Get("b1")->status, BackupStatus::kAvailable);
  EXPECT_EQ(catalog_->RefCount("c", D('b')), 1u);
  EXPECT_EQ(catalog_->GetManifest("b1")->digests[1], D('b'));
}

}  // namespace
}  // namespace imagefs::service::backup
