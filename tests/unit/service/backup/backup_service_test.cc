// BackupService end to end over real stores in a temporary directory: what each
// backup stores, what restores give back, what deletes free, what imports and
// recovery do.
#include "service/backup/backup_service.h"

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <tuple>

#include <gtest/gtest.h>

#include "common/crc32c.h"
#include "service/backup/backup_codec.h"
#include "tests/unit/service/backup/backup_test_util.h"

namespace imagefs::service::backup {
namespace {

using testing::ChangeBlock;
using testing::Digests;
using testing::Instance;
using testing::kBlock;
using testing::RandomBytes;
using testing::StoredBlocks;
using testing::StoredBytes;

std::set<std::string> Union(const std::vector<std::string>& datas) {
  std::set<std::string> out;
  for (const auto& d : datas) {
    std::set<std::string> s = Digests(d);
    out.insert(s.begin(), s.end());
  }
  return out;
}

// Holds jobs at a point of the test's choosing: every gated call waits until
// the gate is open.
class Gate {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class GatedReader : public RangeReader {
 public:
  GatedReader(std::unique_ptr<RangeReader> inner, Gate& gate)
      : inner_(std::move(inner)), gate_(gate) {}
  uint64_t size() const override { return inner_->size(); }
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override {
    gate_.Wait();
    return inner_->ReadAt(offset, buf, n);
  }

 private:
  std::unique_ptr<RangeReader> inner_;
  Gate& gate_;
};

// Image reads wait for the gate.
class GatedImageStore : public ImageStore {
 public:
  GatedImageStore(ImageStore& inner, Gate& gate) : inner_(inner), gate_(gate) {}
  const std::string& id() const override { return inner_.id(); }
  Result<std::unique_ptr<UploadWriter>> BeginUpload(const std::string& id) override {
    return inner_.BeginUpload(id);
  }
  Result<std::unique_ptr<RangeReader>> Open(const std::string& id) override {
    IMAGEFS_ASSIGN_OR_RETURN(std::unique_ptr<RangeReader> r, inner_.Open(id));
    return std::unique_ptr<RangeReader>(std::make_unique<GatedReader>(std::move(r), gate_));
  }
  Status Remove(const std::string& id) override { return inner_.Remove(id); }
  Result<std::vector<std::string>> List() override { return inner_.List(); }
  Status RemoveIncomplete() override { return inner_.RemoveIncomplete(); }
  Result<uint64_t> FreeBytes() override { return inner_.FreeBytes(); }

 private:
  ImageStore& inner_;
  Gate& gate_;
};

// Block reads and releases wait for the gate.
class GatedBackupStore : public BackupStore {
 public:
  GatedBackupStore(BackupStore& inner, Gate& gate) : inner_(inner), gate_(gate) {}
  Result<std::unique_ptr<BackupWriter>> BeginBackup(std::string_view c) override {
    return inner_.BeginBackup(c);
  }
  Result<std::unique_ptr<RangeReader>> OpenBlock(std::string_view c, std::string_view d) override {
    gate_.Wait();
    return inner_.OpenBlock(c, d);
  }
  Result<uint64_t> Release(std::string_view c, std::string_view id,
                           const std::vector<std::string>& candidates,
                           const InUseFn& in_use) override {
    gate_.Wait();
    return inner_.Release(c, id, candidates, in_use);
  }
  Result<SweepReport> Sweep(std::string_view c, const IsLiveFn& is_live) override {
    return inner_.Sweep(c, is_live);
  }
  Result<std::vector<std::string>> Containers() override { return inner_.Containers(); }

 private:
  BackupStore& inner_;
  Gate& gate_;
};

class BackupServiceTest : public ::testing::Test {
 protected:
  Instance& a() { return *a_; }
  Instance& OpenB() {
    b_ = std::make_unique<Instance>(dir_.File("b"), store_dir_);
    return *b_;
  }
  std::set<std::string> Stored() const { return StoredBlocks(store_dir_, "backups"); }

  // Restores `backup_id` on `inst` to a new image and returns that image's bytes.
  std::string RestoreToNewImage(Instance& inst, const std::string& backup_id) {
    Result<RestoreTicket> t = inst.service().Restore({backup_id, std::nullopt, "r", "p"});
    EXPECT_TRUE(t.ok()) << t.status();
    if (!t.ok()) return "";
    inst.service().WaitIdle();
    Result<wire::Image> img = inst.images().GetImage(t->image_id);
    EXPECT_EQ(img->status, wire::ImageStatus::kActive);
    return inst.ImageBytes(t->image_id);
  }

  // Backs `image` up and waits for the job: with the writer copying from the image's
  // file when `local`, else read by the job through RangeReader::ReadAt (no fd).
  Backup BackUpReading(const std::string& image, bool local) {
    if (local) return a().BackUp(image);
    Gate gate;
    gate.Open();
    GatedImageStore images(a().image_store(), gate);
    BackupService svc(a().backups(), a().store(), a().images(), images, SystemClock::Get(), {});
    CreateBackupRequest r;
    r.image_id = image;
    r.project_id = "p";
    std::string id = svc.Create(r)->id;
    svc.WaitIdle();
    return *a().backups().Get(id);
  }

  imagefs::testing::TempDir dir_{"backup-service-test"};
  std::string store_dir_ = dir_.File("store");
  std::unique_ptr<Instance> a_ = std::make_unique<Instance>(dir_.File("a"), store_dir_);
  std::unique_ptr<Instance> b_;
};

TEST_F(BackupServiceTest, FullBackupStoresEachDistinctBlockOnce) {
  std::string data = RandomBytes(4 * kBlock + 123, 1);
  data.replace(2 * kBlock, kBlock, data.substr(0, kBlock));  // block 2 repeats block 0
  Backup b = a().BackUp(a().AddImage(data));
  EXPECT_EQ(b.status, BackupStatus::kAvailable) << b.fail_reason.value_or("");
  EXPECT_EQ(b.object_count, 5u);
  EXPECT_EQ(b.size_bytes, data.size());
  EXPECT_EQ(b.SizeGiB(), 1u);
  EXPECT_EQ(Stored(), Digests(data));
  EXPECT_EQ(b.stored_bytes, 3 * kBlock + 123);
  EXPECT_EQ(StoredBytes(store_dir_, "backups"), b.stored_bytes);
}

TEST_F(BackupServiceTest, RestoreToNewImageGivesTheOriginalBytes) {
  std::string data = RandomBytes(3 * kBlock + 7, 2);
  Backup b = a().BackUp(a().AddImage(data));
  EXPECT_EQ(RestoreToNewImage(a(), b.id), data);
  EXPECT_EQ(a().backups().Get(b.id)->status, BackupStatus::kAvailable);
}

// The restored image's block map carries CRC-32Cs again (the backup's manifest has
// none), so a backup of the restored image checks its copies by CRC too.
TEST_F(BackupServiceTest, ARestoredImageHasTheCrcsOfItsBytes) {
  std::string data = RandomBytes(2 * kBlock + 7, 24);
  std::string image = a().AddImage(data, "img", /*crcs=*/false);
  Backup b = a().BackUp(image);
  Result<RestoreTicket> t = a().service().Restore({b.id, std::nullopt, "r", "p"});
  ASSERT_TRUE(t.ok()) << t.status();
  a().service().WaitIdle();
  Result<wire::BlockMap> map = a().images().GetBlockMap(t->image_id);
  ASSERT_TRUE(map.ok()) << map.status();
  std::vector<uint32_t> want;
  for (size_t at = 0; at < data.size(); at += kBlock) {
    want.push_back(Crc32c(data.data() + at, std::min<size_t>(kBlock, data.size() - at)));
  }
  EXPECT_EQ(map->crc32c, want);
}

TEST_F(BackupServiceTest, OpenDataReadsTheBackupAcrossBlocksUntilItIsDeleted) {
  std::string data = RandomBytes(3 * kBlock + 9, 21);
  data.replace(2 * kBlock, kBlock, data.substr(0, kBlock));  // a shared block read twice
  Backup b = a().BackUp(a().AddImage(data));
  Result<std::unique_ptr<RangeReader>> r = a().service().OpenData(b.id);
  ASSERT_TRUE(r.ok()) << r.status();
  RangeReader& reader = **r;
  EXPECT_EQ(reader.size(), data.size());
  EXPECT_EQ(*reader.ReadExactly(0, data.size()), data);
  EXPECT_EQ(*reader.ReadExactly(kBlock - 5, kBlock + 10), data.substr(kBlock - 5, kBlock + 10));
  EXPECT_EQ(*reader.ReadExactly(data.size() - 3, 3), data.substr(data.size() - 3));
  char byte = 0;
  EXPECT_EQ(*reader.ReadAt(data.size(), &byte, 1), 0u);
  // Once deleted: refused while deleting, NotFound afterwards; blocks the reader
  // has not opened yet fail the read instead of giving other bytes.
  ASSERT_TRUE(a().service().Delete(b.id).ok());
  a().service().WaitIdle();
  EXPECT_EQ(a().service().OpenData(b.id).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(reader.ReadExactly(kBlock, 10).ok());
  Backup empty = a().BackUp(a().AddImage(""));
  Result<std::unique_ptr<RangeReader>> none = a().service().OpenData(empty.id);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ((*none)->size(), 0u);
}

TEST_F(BackupServiceTest, OpenDataNeedsAnAvailableOrRestoringBackup) {
  Backup b = a().BackUp(a().AddImage(RandomBytes(10, 22)));
  ASSERT_TRUE(a().service().ResetStatus(b.id, BackupStatus::kError).ok());
  EXPECT_EQ(a().service().OpenData(b.id).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a().service().OpenData("00000000-0000-0000-0000-000000000009").status().code(),
            StatusCode::kNotFound);
}

TEST_F(BackupServiceTest, EmptyImageRoundTrips) {
  Backup b = a().BackUp(a().AddImage(""));
  ASSERT_EQ(b.status, BackupStatus::kAvailable) << b.fail_reason.value_or("");
  EXPECT_EQ(RestoreToNewImage(a(), b.id), "");
}

TEST_F(BackupServiceTest, RestoreIntoQueuedImageFillsItAndRefusesOneWithData) {
  std::string data = RandomBytes(2 * kBlock, 3);
  std::string source = a().AddImage(data);
  Backup b = a().BackUp(source);
  wire::Image empty;
  empty.id = NewUuid();
  empty.owner = "p";
  ASSERT_TRUE(a().images().CreateImage(empty).ok());
  Result<RestoreTicket> refused = a().service().Restore({b.id, source, std::nullopt, "p"});
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(a().service().Restore({b.id, empty.id, std::nullopt, "p"}).ok());
  a().service().WaitIdle();
  EXPECT_EQ(a().images().GetImage(empty.id)->status, wire::ImageStatus::kActive);
  EXPECT_EQ(a().images().GetImage(empty.id)->disk_format, "raw");
  EXPECT_EQ(a().ImageBytes(empty.id), data);
}

TEST_F(BackupServiceTest, SecondImageStoresOnlyTheBlocksThatDiffer) {
  std::string v1 = RandomBytes(20 * kBlock, 4);
  std::string v2 = ChangeBlock(ChangeBlock(v1, 3, 40), 17, 41);
  Backup b1 = a().BackUp(a().AddImage(v1));
  Backup b2 = a().BackUp(a().AddImage(v2));
  EXPECT_EQ(b1.stored_bytes, 20 * kBlock);
  EXPECT_EQ(b2.stored_bytes, 2 * kBlock);
  EXPECT_EQ(Stored(), Union({v1, v2}));
  EXPECT_EQ(RestoreToNewImage(a(), b2.id), v2);
}

TEST_F(BackupServiceTest, IncrementalTakesTheLatestAvailableBackupAsParent) {
  std::string image = a().AddImage(RandomBytes(kBlock, 5));
  Backup first = a().BackUp(image);
  Backup second = a().BackUp(image, /*incremental=*/true);
  Backup third = a().BackUp(image, /*incremental=*/true);
  EXPECT_FALSE(first.is_incremental());
  EXPECT_EQ(second.parent_id, first.id);
  EXPECT_EQ(third.parent_id, second.id);
  EXPECT_EQ(third.stored_bytes, 0u);
}

TEST_F(BackupServiceTest, IncrementalWithoutAnAvailableBackupIsRefused) {
  CreateBackupRequest r;
  r.image_id = a().AddImage(RandomBytes(10, 6));
  r.project_id = "p";
  r.incremental = true;
  Result<Backup> b = a().service().Create(r);
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.status().message(), "No backups available to do an incremental backup.");
}

TEST_F(BackupServiceTest, BackupWithDependentsCannotBeDeleted) {
  std::string image = a().AddImage(RandomBytes(kBlock, 7));
  Backup parent = a().BackUp(image);
  Backup child = a().BackUp(image, true);
  Result<Backup> refused = a().service().Delete(parent.id);
  EXPECT_EQ(refused.status().message(), "Incremental backups exist for this backup.");
  ASSERT_TRUE(a().service().Delete(child.id).ok());
  a().service().WaitIdle();
  ASSERT_TRUE(a().service().Delete(parent.id).ok());
  a().service().WaitIdle();
  EXPECT_EQ(a().backups().Get(parent.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Stored().empty());
}

class DeleteOrderTest : public BackupServiceTest,
                        public ::testing::WithParamInterface<std::vector<int>> {};

TEST_P(DeleteOrderTest, DeletingInAnyOrderFreesExactlyTheUnusedBlocks) {
  std::string v1 = RandomBytes(6 * kBlock, 8);
  std::vector<std::string> datas = {v1, ChangeBlock(v1, 2, 80), ChangeBlock(v1, 4, 81)};
  std::vector<std::string> ids;
  for (const auto& d : datas) ids.push_back(a().BackUp(a().AddImage(d)).id);
  std::vector<std::string> remaining = datas;
  std::vector<bool> gone(3, false);
  for (int i : GetParam()) {
    ASSERT_TRUE(a().service().Delete(ids[i]).ok());
    a().service().WaitIdle();
    gone[i] = true;
    std::vector<std::string> live;
    for (int k = 0; k < 3; ++k) {
      if (!gone[k]) live.push_back(datas[k]);
    }
    EXPECT_EQ(Stored(), Union(live)) << "after deleting backup " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllOrders, DeleteOrderTest,
                         ::testing::Values(std::vector<int>{0, 1, 2}, std::vector<int>{0, 2, 1},
                                           std::vector<int>{1, 0, 2}, std::vector<int>{1, 2, 0},
                                           std::vector<int>{2, 0, 1}, std::vector<int>{2, 1, 0}));

// Property: over random families of images sharing blocks (some backed up twice,
// some with a block repeated inside), deleting the backups in a random order
// leaves after every step exactly the blocks of the backups that remain, and
// the stored bytes are those blocks' bytes.
class RandomDeleteOrderTest : public BackupServiceTest,
                              public ::testing::WithParamInterface<uint32_t> {};

TEST_P(RandomDeleteOrderTest, EveryStepKeepsExactlyTheLiveBlocks) {
  std::mt19937 rng(GetParam());
  std::string base = RandomBytes(5 * kBlock + 77, GetParam());
  std::vector<std::string> datas;
  std::vector<std::string> ids;
  for (int k = 0; k < 5; ++k) {
    std::string d = k == 0 ? base : datas[rng() % datas.size()];
    for (int changes = static_cast<int>(rng() % 3); changes > 0; --changes) {
      d = ChangeBlock(d, rng() % 6, rng());
    }
    if (rng() % 4 == 0) d.replace(kBlock, kBlock, d.substr(0, kBlock));  // repeated inside
    std::string image = a().AddImage(d);
    for (int copies = rng() % 3 == 0 ? 2 : 1; copies > 0; --copies) {
      datas.push_back(d);
      ids.push_back(a().BackUp(image).id);
    }
  }
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<bool> gone(ids.size(), false);
  EXPECT_EQ(Stored(), Union(datas));
  for (size_t i : order) {
    ASSERT_TRUE(a().service().Delete(ids[i]).ok());
    a().service().WaitIdle();
    gone[i] = true;
    std::vector<std::string> live;
    for (size_t k = 0; k < ids.size(); ++k) {
      if (!gone[k]) live.push_back(datas[k]);
    }
    std::set<std::string> expected = Union(live);
    ASSERT_EQ(Stored(), expected) << "after deleting backup " << i;
    uint64_t bytes = 0;
    for (const auto& d : live) {
      for (size_t at = 0; at < d.size(); at += kBlock) {
        std::string block = d.substr(at, kBlock);
        if (expected.erase(Sha256Raw(block.data(), block.size())) > 0) bytes += block.size();
      }
    }
    EXPECT_EQ(StoredBytes(store_dir_, "backups"), bytes) << "after deleting backup " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomDeleteOrderTest, ::testing::Values(101u, 202u, 303u, 404u));

// An image whose bytes were damaged on disk after upload: the create job fails and
// stores nothing, whether it checks its copies by the CRC-32C recorded at upload
// (`crcs`) or, for a map recorded before imaged kept CRCs, by the SHA-256; and
// whether the writer copies from the image's file or the job reads it (`local`).
class DamagedImageTest : public BackupServiceTest,
                         public ::testing::WithParamInterface<std::tuple<bool, bool>> {};

TEST_P(DamagedImageTest, EndsInErrorAndStoresNothing) {
  auto [crcs, local] = GetParam();
  std::string data = RandomBytes(3 * kBlock, 9);
  std::string image = a().AddImage(data, "img", crcs);
  EXPECT_EQ(a().images().GetBlockMap(image)->crc32c.empty(), !crcs);
  {
    std::fstream f(dir_.File("a") + "/images/data/" + image,
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * kBlock + 5);
    f.put(static_cast<char>(data[2 * kBlock + 5] ^ 0x10));
  }
  Backup b = BackUpReading(image, local);
  EXPECT_EQ(b.status, BackupStatus::kError);
  // The check that caught it: the CRC when the map has CRCs, else the digest.
  std::string reason = b.fail_reason.value_or("");
  EXPECT_NE(reason.find(crcs ? "CRC-32C" : "does not match its digest"), std::string::npos)
      << reason;
  EXPECT_TRUE(Stored().empty());
  ASSERT_TRUE(a().service().Delete(b.id).ok());
  a().service().WaitIdle();
  EXPECT_EQ(a().backups().Get(b.id).status().code(), StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(CrcsAndReaders, DamagedImageTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

// The CRC is what the job checks when the map has one: intact bytes whose recorded
// CRC disagrees fail the backup (and could only pass if the job hashed instead).
class WrongRecordedCrcTest : public BackupServiceTest,
                             public ::testing::WithParamInterface<bool> {};

TEST_P(WrongRecordedCrcTest, FailsTheBackup) {
  bool local = GetParam();
  std::string image = a().AddImage(RandomBytes(3 * kBlock, 23));
  wire::BlockMap map = *a().images().GetBlockMap(image);
  ASSERT_EQ(map.crc32c.size(), 3u);
  map.crc32c[1] ^= 0x100;
  ASSERT_TRUE(a().images()
                  .UpdateImageWithBlockMap(
                      image, [](wire::Image&) { return Status::Ok(); }, map)
                  .ok());
  Backup b = BackUpReading(image, local);
  EXPECT_EQ(b.status, BackupStatus::kError);
  EXPECT_NE(b.fail_reason.value_or("").find("CRC-32C"), std::string::npos);
  EXPECT_TRUE(Stored().empty());
}

INSTANTIATE_TEST_SUITE_P(Readers, WrongRecordedCrcTest, ::testing::Bool());

TEST_F(BackupServiceTest, ExportedRecordImportsIntoAnotherInstanceSharingTheStore) {
  std::string data = RandomBytes(5 * kBlock + 1, 10);
  Backup b = a().BackUp(a().AddImage(data));
  Result<std::string> record = a().service().Export(b.id);
  ASSERT_TRUE(record.ok()) << record.status();
  Instance& other = OpenB();
  Identity admin{"admin-user", "admin", {"admin"}, true};
  Result<Backup> imported = other.service().Import(b.id, kBackupServiceName, *record, admin);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->status, BackupStatus::kCreating);
  EXPECT_EQ(imported->image_id, kImportPlaceholderImageId);
  other.service().WaitIdle();
  Backup done = *other.backups().Get(b.id);
  ASSERT_EQ(done.status, BackupStatus::kAvailable) << done.fail_reason.value_or("");
  EXPECT_EQ(done.image_id, b.image_id);
  EXPECT_EQ(done.project_id, "admin");
  EXPECT_EQ(RestoreToNewImage(other, b.id), data);
}

TEST_F(BackupServiceTest, BlocksStayWhileAnotherInstanceHoldsTheBackup) {
  std::string data = RandomBytes(3 * kBlock, 11);
  Backup b = a().BackUp(a().AddImage(data));
  Instance& other = OpenB();
  Identity admin{"admin-user", "admin", {"admin"}, true};
  ASSERT_TRUE(
      other.service().Import(b.id, kBackupServiceName, *a().service().Export(b.id), admin).ok());
  other.service().WaitIdle();
  ASSERT_TRUE(a().service().Delete(b.id).ok());
  a().service().WaitIdle();
  EXPECT_EQ(Stored(), Digests(data));
  EXPECT_EQ(RestoreToNewImage(other, b.id), data);
  ASSERT_TRUE(other.service().Delete(b.id).ok());
  other.service().WaitIdle();
  EXPECT_TRUE(Stored().empty());
}

TEST_F(BackupServiceTest, ImportOfABackupWhoseBlocksAreGoneEndsInError) {
  Backup b = a().BackUp(a().AddImage(RandomBytes(2 * kBlock, 12)));
  std::string record = *a().service().Export(b.id);
  ASSERT_TRUE(a().service().Delete(b.id).ok());
  a().service().WaitIdle();
  Instance& other = OpenB();
  Identity admin{"admin-user", "admin", {"admin"}, true};
  ASSERT_TRUE(other.service().Import(b.id, kBackupServiceName, record, admin).ok());
  other.service().WaitIdle();
  Backup failed = *other.backups().Get(b.id);
  EXPECT_EQ(failed.status, BackupStatus::kError);
  EXPECT_NE(failed.fail_reason.value_or("").find("missing"), std::string::npos);
}

TEST_F(BackupServiceTest, ImportOfAnExistingIdOrAnUnknownServiceIsRefusedOrFails) {
  Backup b = a().BackUp(a().AddImage(RandomBytes(10, 13)));
  Identity admin{"admin-user", "admin", {"admin"}, true};
  std::string record = *a().service().Export(b.id);
  EXPECT_EQ(a().service().Import(b.id, kBackupServiceName, record, admin).status().message(),
            "Backup already exists in database.");
  Instance& other = OpenB();
  ASSERT_TRUE(other.service().Import(b.id, "cinder.backup.drivers.swift", record, admin).ok());
  other.service().WaitIdle();
  EXPECT_EQ(other.backups().Get(b.id)->status, BackupStatus::kError);
}

TEST_F(BackupServiceTest, RecoveryFailsInterruptedBackupsAndSweepsWhatTheyLeft) {
  std::string data = RandomBytes(2 * kBlock, 14);
  Backup kept = a().BackUp(a().AddImage(data));
  Backup interrupted = kept;
  interrupted.id = NewUuid();
  interrupted.status = BackupStatus::kCreating;
  interrupted.counted = false;
  ASSERT_TRUE(a().backups().Create(interrupted).ok());
  std::string orphan = RandomBytes(kBlock, 15);
  std::string hex = ToHex(Sha256Raw(orphan.data(), orphan.size()));
  std::filesystem::create_directories(store_dir_ + "/backups/blocks/" + hex.substr(0, 2));
  imagefs::testing::WriteFile(store_dir_ + "/backups/blocks/" + hex.substr(0, 2) + "/" + hex,
                              orphan);
  imagefs::testing::WriteFile(store_dir_ + "/backups/staging/x." + hex, orphan);
  a_.reset();
  a_ = std::make_unique<Instance>(dir_.File("a"), store_dir_);
  Backup failed = *a().backups().Get(interrupted.id);
  EXPECT_EQ(failed.status, BackupStatus::kError);
  EXPECT_TRUE(failed.fail_reason.has_value());
  EXPECT_EQ(Stored(), Digests(data));
  EXPECT_TRUE(std::filesystem::is_empty(store_dir_ + "/backups/staging"));
  EXPECT_EQ(RestoreToNewImage(a(), kept.id), data);
}

TEST_F(BackupServiceTest, ResetStatusMovesBetweenAvailableAndErrorOnly) {
  Backup b = a().BackUp(a().AddImage(RandomBytes(10, 16)));
  ASSERT_TRUE(a().service().ResetStatus(b.id, BackupStatus::kError).ok());
  EXPECT_EQ(a().backups().Get(b.id)->status, BackupStatus::kError);
  ASSERT_TRUE(a().service().ResetStatus(b.id, BackupStatus::kAvailable).ok());
  EXPECT_EQ(a().backups().Get(b.id)->status, BackupStatus::kAvailable);
}

TEST_F(BackupServiceTest, EachTransitionIsVisibleWhileItsJobRuns) {
  std::string data = RandomBytes(2 * kBlock, 17);
  std::string image = a().AddImage(data);
  Gate gate;
  GatedImageStore images(a().image_store(), gate);
  GatedBackupStore store(a().store(), gate);
  BackupService svc(a().backups(), store, a().images(), images, SystemClock::Get(), {});
  CreateBackupRequest r;
  r.image_id = image;
  r.project_id = "p";
  std::string id = svc.Create(r)->id;
  EXPECT_EQ(a().backups().Get(id)->status, BackupStatus::kCreating);
  gate.Open();
  svc.WaitIdle();
  EXPECT_EQ(a().backups().Get(id)->status, BackupStatus::kAvailable);
  gate.Close();
  std::string target = svc.Restore({id, std::nullopt, std::nullopt, "p"})->image_id;
  EXPECT_EQ(a().backups().Get(id)->status, BackupStatus::kRestoring);
  EXPECT_EQ(a().images().GetImage(target)->status, wire::ImageStatus::kSaving);
  EXPECT_EQ(svc.Delete(id).status().message(), "Backup status must be available or error");
  gate.Open();
  svc.WaitIdle();
  EXPECT_EQ(a().backups().Get(id)->status, BackupStatus::kAvailable);
  EXPECT_EQ(a().images().GetImage(target)->status, wire::ImageStatus::kActive);
  gate.Close();
  ASSERT_TRUE(svc.Delete(id).ok());
  EXPECT_EQ(a().backups().Get(id)->status, BackupStatus::kDeleting);
  gate.Open();
  svc.WaitIdle();
  EXPECT_EQ(a().backups().Get(id).status().code(), StatusCode::kNotFound);
}

TEST_F(BackupServiceTest, RestoreTheImageStoreRefusesLeavesTheBackupAvailable) {
  // A qcow2 image whose bytes are not qcow2 cannot be restored: the new image is
  // killed, the backup stays available.
  std::string image = a().AddImage(RandomBytes(kBlock, 18));
  ASSERT_TRUE(a().images()
                  .UpdateImage(image,
                               [](wire::Image& i) {
                                 i.disk_format = "qcow2";
                                 return Status::Ok();
                               })
                  .ok());
  Backup b = a().BackUp(image);
  Result<RestoreTicket> t = a().service().Restore({b.id, std::nullopt, std::nullopt, "p"});
  ASSERT_TRUE(t.ok()) << t.status();
  a().service().WaitIdle();
  EXPECT_EQ(a().images().GetImage(t->image_id)->status, wire::ImageStatus::kKilled);
  EXPECT_EQ(a().backups().Get(b.id)->status, BackupStatus::kAvailable);
}

}  // namespace
}  // namespace imagefs::service::backup
