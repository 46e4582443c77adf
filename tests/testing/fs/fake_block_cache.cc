#include "tests/testing/fs/fake_block_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <list>
#include <map>
#include <mutex>

#include "common/digest.h"
#include "common/thread_annotations.h"

namespace imagefs::fstest {
namespace {

namespace stdfs = std::filesystem;
using cache::BlockRef;
using cache::ImageLayout;

std::shared_ptr<int> OwnFd(int fd) {
  return std::shared_ptr<int>(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
}

class FakeBlockCache final : public cache::BlockCache {
 public:
  explicit FakeBlockCache(const FakeBlockCacheOptions& o) : options_(o) { Scan(); }

  Result<BlockRef> Get(const ImageLayout& image, uint64_t index, uint32_t run,
                       const cache::FetchFn& fetch) override;
  std::optional<BlockRef> Lookup(const ImageLayout& image, uint64_t index) override;
  // One file per block here, so there is never a whole-image file to pass through.
  std::optional<cache::WholeFileRef> PinWhole(const ImageLayout&) override { return std::nullopt; }
  bool ContainsOrPending(const ImageLayout& image, uint64_t index) override {
    std::lock_guard lock(mu_);
    std::string k = Key(image, index);
    return slots_.count(k) > 0 || pending_.count(k) > 0;
  }
  Status Flush() override { return Status::Ok(); }
  cache::BlockCacheStats stats() const override {
    std::lock_guard lock(mu_);
    cache::BlockCacheStats s = stats_;
    s.used_bytes = used_;
    s.capacity_bytes = options_.capacity_bytes;
    return s;
  }

 private:
  struct Slot {
    std::shared_ptr<int> fd;  // null until first opened
    uint32_t length = 0;
    bool verified = false;
    std::list<std::string>::iterator lru;
  };

  static std::string Key(const ImageLayout& l, uint64_t i) {
    return l.content_key + "/" + std::to_string(i);
  }
  std::string PathOf(const std::string& key) const { return options_.dir + "/" + key; }
  void Scan();
  std::optional<BlockRef> Hit(const ImageLayout& image, uint64_t index);
  Status FetchRun(const ImageLayout& image, uint64_t index, uint32_t run,
                  const cache::FetchFn& fetch);
  Status StoreBlock(const ImageLayout& image, uint64_t index, std::string_view bytes);
  void Insert(const std::string& key, Slot slot) REQUIRES(mu_);
  void Drop(const std::string& key) REQUIRES(mu_);

  const FakeBlockCacheOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Slot> slots_ GUARDED_BY(mu_);
  std::list<std::string> lru_ GUARDED_BY(mu_);  // front = most recent
  std::map<std::string, std::shared_future<Status>> pending_ GUARDED_BY(mu_);
  uint64_t used_ GUARDED_BY(mu_) = 0;
  cache::BlockCacheStats stats_ GUARDED_BY(mu_);
};

void FakeBlockCache::Scan() {
  std::error_code ec;
  stdfs::create_directories(options_.dir, ec);
  std::lock_guard lock(mu_);
  for (const auto& dir : stdfs::directory_iterator(options_.dir, ec)) {
    if (!dir.is_directory()) continue;
    for (const auto& f : stdfs::directory_iterator(dir.path(), ec)) {
      std::string name = f.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      Slot s;
      s.length = static_cast<uint32_t>(f.file_size(ec));
      Insert(dir.path().filename().string() + "/" + name, std::move(s));
    }
  }
}

void FakeBlockCache::Insert(const std::string& key, Slot slot) {
  lru_.push_front(key);
  slot.lru = lru_.begin();
  used_ += slot.length;
  slots_[key] = std::move(slot);
  while (used_ > options_.capacity_bytes && lru_.size() > 1) {
    Drop(lru_.back());
    ++stats_.evicted_blocks;
  }
}

void FakeBlockCache::Drop(const std::string& key) {
  auto it = slots_.find(key);
  if (it == slots_.end()) return;
  used_ -= it->second.length;
  lru_.erase(it->second.lru);
  slots_.erase(it);
  ::unlink(PathOf(key).c_str());  // pinned readers keep their open fd
}

std::optional<BlockRef> FakeBlockCache::Hit(const ImageLayout& image, uint64_t index) {
  std::string key = Key(image, index);
  std::shared_ptr<int> fd;
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(key);
    if (it == slots_.end()) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    if (it->second.verified && it->second.fd) {
      ++stats_.hits;
      return BlockRef{*it->second.fd, 0, it->second.length, it->second.fd};
    }
    int raw = ::open(PathOf(key).c_str(), O_RDONLY | O_CLOEXEC);
    if (raw < 0) {
      Drop(key);
      return std::nullopt;
    }
    fd = OwnFd(raw);
  }
  // First use in this process: verify the bytes on disk against the digest.
  uint32_t want = image.BlockLength(index);
  std::string bytes(want + 1, '\0');
  ssize_t n = ::pread(*fd, bytes.data(), bytes.size(), 0);
  bool good =
      n == static_cast<ssize_t>(want) && Sha256Raw(bytes.data(), want) == (*image.digests)[index];
  std::lock_guard lock(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return std::nullopt;
  if (!good) {
    ++stats_.corrupt_blocks;
    Drop(key);
    return std::nullopt;
  }
  it->second.fd = fd;
  it->second.verified = true;
  ++stats_.hits;
  return BlockRef{*fd, 0, want, fd};
}

std::optional<BlockRef> FakeBlockCache::Lookup(const ImageLayout& image, uint64_t index) {
  if (index >= image.BlockCount()) return std::nullopt;
  return Hit(image, index);
}

Status FakeBlockCache::StoreBlock(const ImageLayout& image, uint64_t index,
                                  std::string_view bytes) {
  std::string key = Key(image, index);
  std::error_code ec;
  stdfs::create_directories(options_.dir + "/" + image.content_key, ec);
  std::string tmp = PathOf(key) + ".tmp";
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "create block");
  auto own = OwnFd(fd);
  if (::pwrite(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()) ||
      ::rename(tmp.c_str(), PathOf(key).c_str()) != 0) {
    return ErrnoStatus(errno, "store block");
  }
  std::lock_guard lock(mu_);
  Drop(key);
  Slot s;
  s.fd = own;
  s.length = static_cast<uint32_t>(bytes.size());
  s.verified = true;
  Insert(key, std::move(s));
  return Status::Ok();
}

Status FakeBlockCache::FetchRun(const ImageLayout& image, uint64_t index, uint32_t run,
                                const cache::FetchFn& fetch) {
  std::vector<std::promise<Status>> promises;
  uint64_t count = 0;
  {
    std::lock_guard lock(mu_);
    while (count < std::max<uint32_t>(run, 1) && index + count < image.BlockCount()) {
      std::string k = Key(image, index + count);
      if (slots_.count(k) > 0 || pending_.count(k) > 0) break;
      promises.emplace_back();
      pending_[k] = promises.back().get_future().share();
      ++count;
    }
    ++stats_.misses;
  }
  uint64_t offset = index * image.block_size;
  uint64_t length = 0;
  for (uint64_t i = 0; i < count; ++i) length += image.BlockLength(index + i);
  Result<std::string> data =
      count == 0 ? Result<std::string>(std::string()) : fetch(offset, length);
  {
    std::lock_guard lock(mu_);
    ++stats_.fetches;
    if (data.ok()) stats_.fetched_bytes += data->size();
  }
  Status result;
  uint64_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t b = index + i;
    uint32_t len = image.BlockLength(b);
    Status s = data.ok() ? Status::Ok() : data.status();
    if (s.ok()) {
      std::string_view bytes = std::string_view(*data).substr(pos, len);
      std::string retry;
      if (bytes.size() != len || Sha256Raw(bytes.data(), len) != (*image.digests)[b]) {
        {
          std::lock_guard lock(mu_);
          ++stats_.corrupt_blocks;
        }
        auto again = fetch(b * image.block_size, len);
        if (again.ok()) retry = std::move(*again);
        bool bad = !again.ok() || retry.size() != len ||
                   Sha256Raw(retry.data(), len) != (*image.digests)[b];
        s = bad ? DataLoss("block " + std::to_string(b) + " fails verification twice") : s;
        bytes = retry;
      }
      if (s.ok()) s = StoreBlock(image, b, bytes);
    }
    pos += len;
    if (b == index) result = s;
    {
      std::lock_guard lock(mu_);
      pending_.erase(Key(image, b));
    }
    promises[i].set_value(s);
  }
  return result;
}

Result<BlockRef> FakeBlockCache::Get(const ImageLayout& image, uint64_t index, uint32_t run,
                                     const cache::FetchFn& fetch) {
  if (index >= image.BlockCount()) return InvalidArgument("block index past the end");
  for (int round = 0; round < 8; ++round) {
    if (auto hit = Hit(image, index)) return *hit;
    std::shared_future<Status> wait;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(Key(image, index));
      if (it != pending_.end()) {
        wait = it->second;
        ++stats_.joined;
      }
    }
    Status s = wait.valid() ? wait.get() : FetchRun(image, index, run, fetch);
    if (!s.ok()) return s;
  }
  return Internal("block kept disappearing");
}

}  // namespace

Result<std::unique_ptr<cache::BlockCache>> NewFakeBlockCache(const FakeBlockCacheOptions& options) {
  if (options.dir.empty()) return InvalidArgument("no cache dir");
  return std::unique_ptr<cache::BlockCache>(new FakeBlockCache(options));
}

}  // namespace imagefs::fstest
