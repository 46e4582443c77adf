// The local backup store: blocks named by digest, reference files, the container
// lock, and what Release and Sweep may delete.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sys/file.h>

#include "common/crc32c.h"
#include "service/backup/backup_codec.h"
#include "service/backup/backup_store.h"
#include "service/store/file_io.h"
#include "tests/unit/service/backup/backup_test_util.h"

namespace imagefs::service::backup {
namespace {

using testing::RandomBytes;
using testing::StoredBlocks;

std::string Sha(const std::string& s) { return Sha256Raw(s.data(), s.size()); }

class LocalBackupStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<BackupStore> Open(const std::string& holder) {
    LocalBackupStoreOptions o;
    o.dir = dir_.path();
    o.instance_id = holder;
    o.fsync = false;
    Result<std::unique_ptr<BackupStore>> s = NewLocalBackupStore(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(s).value();
  }

  // Commits a backup of `blocks` as `holder` and returns its manifest.
  Manifest Commit(BackupStore& store, const std::string& id,
                  const std::vector<std::string>& blocks) {
    std::unique_ptr<BackupWriter> w = std::move(store.BeginBackup("c")).value();
    Manifest m;
    m.block_size = 1 << 20;
    for (const auto& b : blocks) {
      m.size += b.size();
      m.digests.push_back(Sha(b));
      if (!*w->Has(m.digests.back())) {
        EXPECT_TRUE(w->Put(m.digests.back(), b).ok());
      }
    }
    EXPECT_TRUE(w->Commit(id, m).ok());
    return m;
  }

  bool ContainerLockedAgainstExclusive() {
    int fd = ::open((dir_.path() + "/c/lock").c_str(), O_RDWR | O_CLOEXEC);
    bool locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    ::close(fd);
    return locked;
  }

  std::set<std::string> Blocks() { return StoredBlocks(dir_.path(), "c"); }

  imagefs::testing::TempDir dir_{"backup-store-test"};
  std::unique_ptr<BackupStore> store_ = Open("me");
  InUseFn unused_ = [](std::string_view) { return false; };
};

TEST_F(LocalBackupStoreTest, CommittedBlocksAreNamedByDigestAndReadBack) {
  std::string x = RandomBytes(1000, 1), y = RandomBytes(2000, 2);
  Commit(*store_, "b1", {x, y, x});
  EXPECT_EQ(Blocks(), (std::set<std::string>{Sha(x), Sha(y)}));
  std::unique_ptr<RangeReader> r = std::move(store_->OpenBlock("c", Sha(y))).value();
  EXPECT_EQ(*r->ReadExactly(0, r->size()), y);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/c/refs/me/b1"));
  EXPECT_EQ(store_->OpenBlock("c", Sha("absent")).status().code(), StatusCode::kNotFound);
}

TEST_F(LocalBackupStoreTest, WriterHoldsTheSharedLockUntilDestroyed) {
  std::unique_ptr<BackupWriter> w = std::move(store_->BeginBackup("c")).value();
  EXPECT_TRUE(ContainerLockedAgainstExclusive());
  w.reset();
  EXPECT_FALSE(ContainerLockedAgainstExclusive());
}

TEST_F(LocalBackupStoreTest, AbandonedWriterLeavesNoBlockAndNoStagedFile) {
  {
    std::unique_ptr<BackupWriter> w = std::move(store_->BeginBackup("c")).value();
    std::string x = RandomBytes(100, 3);
    ASSERT_TRUE(w->Put(Sha(x), x).ok());
  }
  EXPECT_TRUE(Blocks().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/c/staging"));
}

// PutFromFile copies in the kernel and hashes what it staged: blocks that match
// are published, and one that does not fails the commit and publishes nothing.
class PutFromFileTest : public LocalBackupStoreTest {
 protected:
  // Writes `bytes` to a file and returns it open for reading.
  UniqueFd Source(const std::string& bytes) {
    std::string path = dir_.path() + "/source";
    imagefs::testing::WriteFile(path, bytes);
    return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  }
  std::string x_ = RandomBytes(1 << 20, 11), y_ = RandomBytes(1000, 12);
};

TEST_F(PutFromFileTest, CopiedBlocksAreVerifiedAndPublished) {
  UniqueFd src = Source(x_ + y_);
  std::unique_ptr<BackupWriter> w = std::move(store_->BeginBackup("c")).value();
  ASSERT_TRUE(w->PutFromFile(Sha(x_), std::nullopt, src.get(), 0, x_.size()).ok());
  ASSERT_TRUE(w->PutFromFile(Sha(y_), std::nullopt, src.get(), x_.size(), y_.size()).ok());
  Manifest m{x_.size() + y_.size(), 1 << 20, {Sha(x_), Sha(y_)}};
  ASSERT_TRUE(w->Commit("b1", m).ok());
  EXPECT_EQ(w->added_bytes(), x_.size() + y_.size());
  EXPECT_EQ(Blocks(), (std::set<std::string>{Sha(x_), Sha(y_)}));
  std::unique_ptr<RangeReader> r = std::move(store_->OpenBlock("c", Sha(y_))).value();
  EXPECT_EQ(*r->ReadExactly(0, r->size()), y_);
}

TEST_F(PutFromFileTest, BytesNotMatchingTheDigestFailTheCommitAndPublishNothing) {
  UniqueFd src = Source(x_ + y_);
  std::unique_ptr<BackupWriter> w = std::move(store_->BeginBackup("c")).value();
  ASSERT_TRUE(w->PutFromFile(Sha(x_), std::nullopt, src.get(), 0, x_.size()).ok());
  Status put = w->PutFromFile(Sha(x_ + "!"), std::nullopt, src.get(), x_.size(), y_.size());
  Manifest m{x_.size() + y_.size(), 1 << 20, {Sha(x_), Sha(x_ + "!")}};
  Status committed = put.ok() ? w->Commit("b1", m) : put;
  EXPECT_EQ(committed.code(), StatusCode::kDataLoss) << committed;
  EXPECT_NE(committed.message().find("does not match its digest"), std::string::npos);
  w.reset();
  EXPECT_TRUE(Blocks().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/c/staging"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/c/refs/me/b1"));
}

// With the CRC-32C recorded at upload, the staged copy is checked against that
// instead of the digest: a copy that matches it is published...
TEST_F(PutFromFileTest, CopiesMatchingTheirCrcArePublished) {
  UniqueFd src = Source(x_ + y_);
  std::unique_ptr<BackupWriter> w = std::move(store_->BeginBackup("c")).value();
  ASSERT_TRUE(w->PutFromFile(Sha(x_), Crc32c(x_.data(), x_.size()), src.get(), 0, x_.size()).ok());
  ASSERT_TRUE(
      w->PutFromFile(Sha(y_), Crc32c(y_.data(), y_.size()), src.get(), x_.size(), y_.size()).ok());
  Manifest m{x_.size() + y_.size(), 1 << 20, {Sha(x_), Sha(y_)}};
  ASSERT_TRUE(w->Commit("b1", m).ok());
  EXPECT_EQ(Blocks(), (std::set<std::string>{Sha(x_), Sha(y_)}));
  std::unique_ptr<RangeReader> r = std::move(store_->OpenBlock("c", Sha(x_))).value();
  EXPECT_EQ(*r->ReadExactly(0, r->size()), x_);
}

// ... and one that does not fails the backup with DataLoss and publishes nothing,
// though its digest is right: the CRC is what is checked.
TEST_F(PutFromFileTest, ACopyNotMatchingItsCrcFailsTheCommitAndPublishesNothing) {
  UniqueFd src = Source(x_ + y_);
  std::unique_ptr<BackupWriter> w = std::move(store_->BeginBackup("c")).value();
  ASSERT_TRUE(w->PutFromFile(Sha(x_), Crc32c(x_.data(), x_.size()), src.get(), 0, x_.size()).ok());
  uint32_t wrong = Crc32c(y_.data(), y_.size()) ^ 1;
  Status put = w->PutFromFile(Sha(y_), wrong, src.get(), x_.size(), y_.size());
  Manifest m{x_.size() + y_.size(), 1 << 20, {Sha(x_), Sha(y_)}};
  Status committed = put.ok() ? w->Commit("b1", m) : put;
  EXPECT_EQ(committed.code(), StatusCode::kDataLoss) << committed;
  EXPECT_NE(committed.message().find("CRC-32C"), std::string::npos) << committed;
  w.reset();
  EXPECT_TRUE(Blocks().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/c/staging"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/c/refs/me/b1"));
}

TEST_F(PutFromFileTest, AFileShorterThanTheBlockIsDataLoss) {
  UniqueFd src = Source(y_);
  std::unique_ptr<BackupWriter> w = std::move(store_->BeginBackup("c")).value();
  Status put = w->PutFromFile(Sha(x_), std::nullopt, src.get(), 0, x_.size());
  Manifest m{x_.size(), 1 << 20, {Sha(x_)}};
  Status committed = put.ok() ? w->Commit("b1", m) : put;
  EXPECT_EQ(committed.code(), StatusCode::kDataLoss) << committed;
  w.reset();
  EXPECT_TRUE(Blocks().empty());
}

TEST_F(LocalBackupStoreTest, ReleaseFreesOnlyBlocksNothingUses) {
  std::string x = RandomBytes(10, 4), y = RandomBytes(10, 5);
  Manifest m = Commit(*store_, "b1", {x, y});
  InUseFn y_in_use = [&](std::string_view d) { return d == Sha(y); };
  Result<uint64_t> freed = store_->Release("c", "b1", m.digests, y_in_use);
  ASSERT_TRUE(freed.ok()) << freed.status();
  EXPECT_EQ(*freed, 10u);
  EXPECT_EQ(Blocks(), (std::set<std::string>{Sha(y)}));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/c/refs/me/b1"));
}

TEST_F(LocalBackupStoreTest, ReleaseKeepsBlocksAnotherHolderReferences) {
  std::string x = RandomBytes(10, 6), y = RandomBytes(10, 7);
  Manifest m = Commit(*store_, "b1", {x, y});
  std::unique_ptr<BackupStore> other = Open("other");
  Commit(*other, "b2", {y});
  ASSERT_TRUE(store_->Release("c", "b1", m.digests, unused_).ok());
  EXPECT_EQ(Blocks(), (std::set<std::string>{Sha(y)}));
}

TEST_F(LocalBackupStoreTest, SweepRemovesWhatNoLiveReferenceNames) {
  std::string x = RandomBytes(10, 8), y = RandomBytes(10, 9), z = RandomBytes(10, 10);
  Commit(*store_, "live", {x});
  Commit(*store_, "dead", {y});
  std::unique_ptr<BackupStore> other = Open("other");
  Commit(*other, "theirs", {z});
  imagefs::testing::WriteFile(dir_.path() + "/c/staging/left.over", "x");
  Result<SweepReport> r = store_->Sweep("c", [](std::string_view id) { return id == "live"; });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks_removed, 1u);
  EXPECT_EQ(r->references_removed, 1u);
  EXPECT_EQ(r->staged_removed, 1u);
  EXPECT_EQ(Blocks(), (std::set<std::string>{Sha(x), Sha(z)}));
}

TEST_F(LocalBackupStoreTest, WritersLeaveSpoolEmptyAndSweepRemovesACrashsLeftovers) {
  Commit(*store_, "b1", {RandomBytes(10, 13)});
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/c/spool"));
  std::filesystem::create_directory(dir_.path() + "/c/spool/crashed");
  imagefs::testing::WriteFile(dir_.path() + "/c/spool/crashed/half", "");
  Result<SweepReport> r = store_->Sweep("c", [](std::string_view) { return true; });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->staged_removed, 1u);
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/c/spool"));
}

TEST_F(LocalBackupStoreTest, ContainerNamesThatAreNotPlainNamesAreRefused) {
  for (const std::string& bad :
       std::vector<std::string>{"", ".", "..", "a/b", "a b", std::string(256, 'a')}) {
    EXPECT_EQ(store_->BeginBackup(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(store_->BeginBackup("Nightly_backups-2.0").ok());
}

}  // namespace
}  // namespace imagefs::service::backup
