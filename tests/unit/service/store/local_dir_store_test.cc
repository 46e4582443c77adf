#include "service/store/local_dir_store.h"

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/uuid.h"
#include "tests/unit/service/store/store_test_util.h"

namespace imagefs::service {
namespace {

using testing::BlockCrcs;
using testing::BlockDigests;
using testing::ListDir;
using testing::RandomBytes;
using testing::RandomChunks;
using testing::TempDir;

constexpr uint32_t kBlock = wire::kDefaultBlockSize;

class LocalDirStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenStore(); }

  std::unique_ptr<ImageStore> OpenStore() {
    Result<std::unique_ptr<ImageStore>> store = NewLocalDirStore(options_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::unique_ptr<UploadWriter> Begin(const std::string& id) {
    Result<std::unique_ptr<UploadWriter>> writer = store_->BeginUpload(id);
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? std::move(writer).value() : nullptr;
  }

  // Uploads `data` in random pieces and returns what Finish() computed.
  UploadResult Upload(const std::string& id, const std::string& data, bool commit = true) {
    std::unique_ptr<UploadWriter> writer = Begin(id);
    size_t at = 0;
    for (size_t n : RandomChunks(data.size(), 3 * kBlock / 2, data.size())) {
      EXPECT_TRUE(writer->Append(data.data() + at, n).ok());
      at += n;
    }
    Result<UploadResult> result = writer->Finish();
    EXPECT_TRUE(result.ok()) << result.status();
    if (commit) {
      EXPECT_TRUE(writer->Commit().ok());
    }
    return result.ok() ? *result : UploadResult{};
  }

  std::string ReadAll(RangeReader& reader) {
    Result<std::string> bytes = reader.ReadExactly(0, reader.size());
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? *bytes : "";
  }

  std::string Incoming() const { return tmp_.path() + "/incoming"; }

  TempDir tmp_;
  LocalDirStoreOptions options_{.dir = tmp_.path()};
  std::unique_ptr<ImageStore> store_;
  const std::string id_ = NewUuid();
};

TEST_F(LocalDirStoreTest, UploadIsInvisibleUntilCommit) {
  std::unique_ptr<UploadWriter> writer = Begin(id_);
  ASSERT_TRUE(writer->Append("hello", 5).ok());
  EXPECT_EQ(store_->Open(id_).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(store_->Open(id_).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadAll(writer->Data()), "hello");  // readable for inspection
  EXPECT_TRUE(store_->List()->empty());
  ASSERT_TRUE(writer->Commit().ok());
  Result<std::unique_ptr<RangeReader>> reader = store_->Open(id_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadAll(**reader), "hello");
  EXPECT_GE((*reader)->fd(), 0);
  EXPECT_EQ(*store_->List(), std::vector<std::string>{id_});
}

TEST_F(LocalDirStoreTest, DigestsMatchOneShotDigestsAtBlockEdges) {
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{kBlock - 1}, size_t{kBlock}, size_t{3 * kBlock + 7}}) {
    std::string id = NewUuid();
    std::string data = RandomBytes(size, size + 1);
    UploadResult result = Upload(id, data);
    EXPECT_EQ(result.size, size);
    EXPECT_EQ(result.md5_hex, DigestHex(DigestAlgorithm::kMd5, data));
    EXPECT_EQ(result.sha512_hex, DigestHex(DigestAlgorithm::kSha512, data));
    EXPECT_EQ(result.block_size, kBlock);
    EXPECT_EQ(result.block_digests, BlockDigests(data, kBlock)) << size;
    EXPECT_EQ(result.block_crc32c, BlockCrcs(data, kBlock)) << size;
    Result<std::unique_ptr<RangeReader>> reader = store_->Open(id);
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ(ReadAll(**reader), data);
  }
}

TEST_F(LocalDirStoreTest, DestroyingAnUncommittedWriterRemovesItsFile) {
  std::string data = RandomBytes(5 * kBlock + 3, 1);
  {
    std::unique_ptr<UploadWriter> writer = Begin(id_);
    ASSERT_TRUE(writer->Append(data.data(), data.size()).ok());
    EXPECT_EQ(ListDir(Incoming()).size(), 1u);
  }  // the client went away mid-upload
  EXPECT_TRUE(ListDir(Incoming()).empty());
  Upload(id_, data, /*commit=*/false);  // finished but never committed
  EXPECT_TRUE(ListDir(Incoming()).empty());
  EXPECT_EQ(store_->Open(id_).status().code(), StatusCode::kNotFound);
}

TEST_F(LocalDirStoreTest, WriterOutlivingTheStoreStillCleansUp) {
  std::unique_ptr<UploadWriter> writer = Begin(id_);
  ASSERT_TRUE(writer->Append("abc", 3).ok());
  store_.reset();
  writer.reset();
  EXPECT_TRUE(ListDir(Incoming()).empty());
}

TEST_F(LocalDirStoreTest, RemoveIncompleteDeletesLeftoversOnly) {
  Upload(id_, "kept");
  std::ofstream(Incoming() + "/" + NewUuid() + ".x.part") << "partial";
  std::ofstream(Incoming() + "/junk") << "junk";
  std::filesystem::create_directory(Incoming() + "/not-ours");
  ASSERT_TRUE(store_->RemoveIncomplete().ok());
  EXPECT_EQ(ListDir(Incoming()), std::vector<std::string>{"not-ours"});
  EXPECT_EQ(ReadAll(**store_->Open(id_)), "kept");
}

TEST_F(LocalDirStoreTest, IdsThatAreNotUuidsAreRefused) {
  for (const std::string& bad :
       {std::string("../escape"), std::string("a/b"), std::string(""), std::string(".."),
        std::string("not-a-uuid"), std::string("../") + NewUuid().substr(3)}) {
    EXPECT_EQ(store_->BeginUpload(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Open(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Remove(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ListDir(Incoming()).empty());
}

TEST_F(LocalDirStoreTest, ExceedingMaxImageSizeFailsAndStopsWriting) {
  options_.max_image_size = 3 * kBlock;
  store_ = OpenStore();
  std::unique_ptr<UploadWriter> writer = Begin(id_);
  std::string data = RandomBytes(2 * kBlock, 2);
  ASSERT_TRUE(writer->Append(data.data(), data.size()).ok());
  Status over = writer->Append(data.data(), data.size());
  EXPECT_EQ(over.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(ListDir(Incoming()).empty());  // discarded at once, not at destruction
  EXPECT_EQ(writer->Append("x", 1).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(writer->Finish().status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(writer->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST_F(LocalDirStoreTest, ImageOfExactlyMaxSizeIsAccepted) {
  options_.max_image_size = kBlock + 1;
  store_ = OpenStore();
  EXPECT_EQ(Upload(id_, RandomBytes(kBlock + 1, 3)).size, kBlock + 1);
}

TEST_F(LocalDirStoreTest, ConcurrentUploadsOfDifferentImages) {
  constexpr int kUploads = 4;
  std::vector<std::string> ids, data;
  for (int i = 0; i < kUploads; ++i) {
    ids.push_back(NewUuid());
    data.push_back(RandomBytes(4 * kBlock + 100 * i, 100 + i));
  }
  std::vector<UploadResult> results(kUploads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kUploads; ++i) {
    threads.emplace_back([&, i] { results[i] = Upload(ids[i], data[i]); });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kUploads; ++i) {
    EXPECT_EQ(results[i].sha512_hex, DigestHex(DigestAlgorithm::kSha512, data[i]));
    EXPECT_EQ(ReadAll(**store_->Open(ids[i])), data[i]);
  }
  EXPECT_EQ(store_->List()->size(), size_t{kUploads});
}

TEST_F(LocalDirStoreTest, CommitNeverReplacesExistingData) {
  std::unique_ptr<UploadWriter> late = Begin(id_);
  ASSERT_TRUE(late->Append("second", 6).ok());
  Upload(id_, "first");
  ASSERT_TRUE(late->Finish().ok());
  EXPECT_EQ(late->Commit().code(), StatusCode::kAlreadyExists);
  late.reset();
  EXPECT_EQ(ReadAll(**store_->Open(id_)), "first");
  EXPECT_TRUE(ListDir(Incoming()).empty());
}

TEST_F(LocalDirStoreTest, RemoveDeletesDataAndIsIdempotent) {
  Upload(id_, "bytes");
  ASSERT_TRUE(store_->Remove(id_).ok());
  EXPECT_EQ(store_->Open(id_).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Remove(id_).ok());
  EXPECT_TRUE(store_->List()->empty());
}

TEST_F(LocalDirStoreTest, OpenReaderKeepsWorkingAfterRemove) {
  Upload(id_, "still here");
  std::unique_ptr<RangeReader> reader = std::move(store_->Open(id_)).value();
  ASSERT_TRUE(store_->Remove(id_).ok());
  EXPECT_EQ(ReadAll(*reader), "still here");
}

TEST_F(LocalDirStoreTest, ReopenedStoreSeesCommittedData) {
  std::string data = RandomBytes(kBlock + 10, 8);
  Upload(id_, data);
  std::unique_ptr<UploadWriter> pending = Begin(NewUuid());
  ASSERT_TRUE(pending->Append("x", 1).ok());
  store_ = OpenStore();
  EXPECT_EQ(*store_->List(), std::vector<std::string>{id_});
  EXPECT_EQ(ReadAll(**store_->Open(id_)), data);
}

TEST_F(LocalDirStoreTest, ListIgnoresForeignFiles) {
  Upload(id_, "a");
  std::ofstream(tmp_.path() + "/data/README") << "not an image";
  EXPECT_EQ(*store_->List(), std::vector<std::string>{id_});
}

TEST_F(LocalDirStoreTest, ReadsPastTheEndAreShort) {
  Upload(id_, "0123456789");
  std::unique_ptr<RangeReader> reader = std::move(store_->Open(id_)).value();
  char buf[16];
  EXPECT_EQ(*reader->ReadAt(6, buf, sizeof(buf)), 4u);
  EXPECT_EQ(*reader->ReadAt(10, buf, sizeof(buf)), 0u);
  EXPECT_EQ(*reader->ReadAt(1000, buf, sizeof(buf)), 0u);
}

TEST_F(LocalDirStoreTest, CallsOutOfOrderAreFailedPrecondition) {
  std::unique_ptr<UploadWriter> writer = Begin(id_);
  EXPECT_EQ(writer->Commit().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(writer->Finish().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer->Append("x", 1).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(writer->Commit().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Open(id_).value()->size(), 0u);
}

TEST_F(LocalDirStoreTest, FreeBytesReportsTheFilesystem) {
  Result<uint64_t> free = store_->FreeBytes();
  ASSERT_TRUE(free.ok());
  EXPECT_GT(*free, 0u);
  EXPECT_EQ(store_->id(), "fs");
}

TEST(LocalDirStoreOptionsTest, BadOptionsAreInvalidArgument) {
  TempDir tmp;
  EXPECT_EQ(NewLocalDirStore({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NewLocalDirStore({.dir = tmp.path(), .block_size = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(NewLocalDirStore({.dir = tmp.path(), .max_image_size = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(NewLocalDirStore({.dir = tmp.path() + "/a/b/c"}).ok());  // created
}

}  // namespace
}  // namespace imagefs::service
