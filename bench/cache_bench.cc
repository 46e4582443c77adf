// Block cache micro-benchmarks: hits (Get + pread of the BlockRef), Lookup and
// ContainsOrPending on a hot block, misses through a fake source with and without
// latency, eight concurrent misses on one block, and reopening a 100k-block cache.
// Defaults finish in seconds on two cores; the cache lives under $TMPDIR.
#include <stdlib.h>
#include <unistd.h>

#include <barrier>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "cache/disk_block_cache.h"
#include "common/crc32c.h"
#include "common/digest.h"

namespace imagefs::cache {
namespace {

// An image of `blocks` identical blocks, so any size costs one block of memory.
class RepeatedImage {
 public:
  RepeatedImage(std::string id, uint64_t blocks, uint32_t block_size) : block_(block_size, '\0') {
    for (uint32_t i = 0; i < block_size; ++i) {
      block_[i] = static_cast<char>((i * 2654435761u) >> 24);
    }
    layout_.image_id = std::move(id);
    layout_.content_key = DigestHex(DigestAlgorithm::kSha512, layout_.image_id + block_);
    layout_.size = blocks * block_size;
    layout_.block_size = block_size;
    layout_.digests =
        std::make_shared<std::vector<std::string>>(blocks, Sha256Raw(block_.data(), block_.size()));
  }

  const ImageLayout& layout() const { return layout_; }

  // A FetchFn that sleeps `latency` per call, counting calls in *calls if given.
  FetchFn Fetcher(std::chrono::microseconds latency = {}) const {
    return [this, latency](uint64_t offset, uint64_t length) -> Result<std::string> {
      if (latency.count() > 0) {
        std::this_thread::sleep_for(latency);
      }
      std::string bytes;
      bytes.reserve(length);
      for (uint64_t pos = offset; pos < offset + length;) {
        uint64_t in_block = pos % block_.size();
        uint64_t n = std::min<uint64_t>(block_.size() - in_block, offset + length - pos);
        bytes.append(block_, in_block, n);
        pos += n;
      }
      return bytes;
    };
  }

 private:
  std::string block_;
  ImageLayout layout_;
};

class TempCacheDir {
 public:
  TempCacheDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cache_bench.XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
  }
  TempCacheDir(const TempCacheDir&) = delete;
  TempCacheDir& operator=(const TempCacheDir&) = delete;
  TempCacheDir(TempCacheDir&&) = delete;
  TempCacheDir& operator=(TempCacheDir&&) = delete;
  ~TempCacheDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<DiskBlockCache> OpenCache(const std::string& dir, uint64_t capacity) {
  DiskBlockCacheConfig config;
  config.options.dir = dir;
  config.options.capacity_bytes = capacity;
  config.options.min_free_bytes = 0;
  config.flush_interval = std::chrono::milliseconds(0);
  Result<std::unique_ptr<DiskBlockCache>> cache = DiskBlockCache::Open(config, SystemClock::Get());
  if (!cache.ok()) {
    std::abort();
  }
  return *std::move(cache);
}

void SetCounters(benchmark::State& state, const BlockCacheStats& before,
                 const BlockCacheStats& after, double reads) {
  double hits = static_cast<double>(after.hits - before.hits);
  double misses = static_cast<double>(after.misses - before.misses);
  state.counters["hit_ratio"] = hits + misses > 0 ? hits / (hits + misses) : 0;
  state.counters["fetches_per_read"] = static_cast<double>(after.fetches - before.fetches) / reads;
}

// Get of a cached block and a pread of all its bytes, as the FUSE read path does.
void BM_HitRead(benchmark::State& state) {
  const auto block_size = static_cast<uint32_t>(state.range(0));
  constexpr uint64_t kBlocks = 16;
  TempCacheDir dir;
  auto cache = OpenCache(dir.path(), uint64_t{1} << 30);
  RepeatedImage image("hit", kBlocks, block_size);
  FetchFn fetch = image.Fetcher();
  for (uint64_t i = 0; i < kBlocks; ++i) {
    benchmark::DoNotOptimize(cache->Get(image.layout(), i, 1, fetch));
  }
  std::string buffer(block_size, '\0');
  const BlockCacheStats before = cache->stats();
  uint64_t i = 0;
  for (auto _ : state) {
    Result<BlockRef> ref = cache->Get(image.layout(), i++ % kBlocks, 1, fetch);
    benchmark::DoNotOptimize(
        pread(ref->fd, buffer.data(), ref->length, static_cast<off_t>(ref->offset)));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * block_size);
  SetCounters(state, before, cache->stats(), static_cast<double>(state.iterations()));
}
BENCHMARK(BM_HitRead)->Arg(4 << 10)->Arg(128 << 10)->Arg(1 << 20)->MinTime(0.2);

// The two checks of a 1 MiB block: the SHA-256 against imaged's digest (before it is
// stored) and the CRC-32C against the index (its first use after a restart).
void BM_VerifyBlock(benchmark::State& state) {
  std::string block(size_t{1} << 20, '\0');
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 131 + (i >> 12));
  const bool crc = state.range(0) == 0;
  state.SetLabel(crc ? "crc32c" : "sha256");
  for (auto _ : state) {
    if (crc) {
      benchmark::DoNotOptimize(Crc32c(block.data(), block.size()));
    } else {
      benchmark::DoNotOptimize(Sha256Raw(block.data(), block.size()));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(block.size()));
}
BENCHMARK(BM_VerifyBlock)->Arg(0)->Arg(1)->MinTime(0.2);

// Lookup of a hot block (no pread): the cost of the index, the pin and the BlockRef.
void BM_LookupHot(benchmark::State& state) {
  TempCacheDir dir;
  auto cache = OpenCache(dir.path(), uint64_t{1} << 30);
  RepeatedImage image("0b9c6a2e-1d2f-4c5b-9a7e-2f3c4d5e6f70", 1024, 1 << 20);
  benchmark::DoNotOptimize(cache->Get(image.layout(), 7, 1, image.Fetcher()));
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache->Lookup(image.layout(), 7));
  }
}
BENCHMARK(BM_LookupHot)->MinTime(0.2);

void BM_ContainsOrPendingHot(benchmark::State& state) {
  TempCacheDir dir;
  auto cache = OpenCache(dir.path(), uint64_t{1} << 30);
  RepeatedImage image("0b9c6a2e-1d2f-4c5b-9a7e-2f3c4d5e6f70", 1024, 1 << 20);
  benchmark::DoNotOptimize(cache->Get(image.layout(), 7, 1, image.Fetcher()));
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache->ContainsOrPending(image.layout(), 7));
  }
}
BENCHMARK(BM_ContainsOrPendingHot)->MinTime(0.2);

// A miss per iteration: fetch (with args[1] µs latency), verify, evict, write, pin.
void BM_Miss(benchmark::State& state) {
  const auto block_size = static_cast<uint32_t>(state.range(0));
  const std::chrono::microseconds latency(state.range(1));
  constexpr uint64_t kBlocks = 1 << 16;
  TempCacheDir dir;
  auto cache = OpenCache(dir.path(), uint64_t{32} * block_size);  // evicts in steady state
  RepeatedImage image("miss", kBlocks, block_size);
  FetchFn fetch = image.Fetcher(latency);
  const BlockCacheStats before = cache->stats();
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache->Get(image.layout(), i++ % kBlocks, 1, fetch));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * block_size);
  SetCounters(state, before, cache->stats(), static_cast<double>(state.iterations()));
}
BENCHMARK(BM_Miss)
    ->Args({128 << 10, 0})
    ->Args({128 << 10, 200})
    ->Args({1 << 20, 0})
    ->Args({1 << 20, 200})
    ->UseRealTime();

// Eight threads Get the same missing block at once, every iteration a new block.
void BM_ConcurrentMissOneBlock(benchmark::State& state) {
  constexpr int kThreads = 8;
  constexpr uint64_t kBlocks = 1 << 16;
  TempCacheDir dir;
  auto cache = OpenCache(dir.path(), uint64_t{64} << 20);
  RepeatedImage image("shared", kBlocks, 128 << 10);
  FetchFn fetch = image.Fetcher(std::chrono::microseconds(state.range(0)));
  std::atomic<uint64_t> block{0};
  std::atomic<bool> done{false};
  std::barrier start(kThreads), finish(kThreads);
  auto read = [&] {
    benchmark::DoNotOptimize(cache->Get(image.layout(), block.load() % kBlocks, 1, fetch));
  };
  std::vector<std::jthread> helpers;
  for (int t = 1; t < kThreads; ++t) {
    helpers.emplace_back([&] {
      for (start.arrive_and_wait(); !done; start.arrive_and_wait()) {
        read();
        finish.arrive_and_wait();
      }
    });
  }
  const BlockCacheStats before = cache->stats();
  for (auto _ : state) {
    start.arrive_and_wait();
    read();
    finish.arrive_and_wait();
    ++block;
  }
  done = true;
  start.arrive_and_wait();
  helpers.clear();
  const BlockCacheStats after = cache->stats();
  SetCounters(state, before, after, static_cast<double>(state.iterations()) * kThreads);
  state.counters["joined_per_read"] = static_cast<double>(after.joined - before.joined) /
                                      (static_cast<double>(state.iterations()) * kThreads);
}
BENCHMARK(BM_ConcurrentMissOneBlock)->Arg(0)->Arg(200)->UseRealTime();

// Open() of a cache holding 100k blocks (10 images x 10k blocks of 512 bytes): read
// and check the index, list and scan the data files (SEEK_DATA), rebuild the LRU.
void BM_OpenWith100kBlocks(benchmark::State& state) {
  constexpr uint64_t kImages = 10, kBlocksPerImage = 10'000;
  TempCacheDir dir;
  {
    auto cache = OpenCache(dir.path(), uint64_t{1} << 30);
    for (uint64_t i = 0; i < kImages; ++i) {
      RepeatedImage image("img-" + std::to_string(i), kBlocksPerImage, 512);
      for (uint64_t b = 0; b < kBlocksPerImage; b += 4096) {
        benchmark::DoNotOptimize(cache->Get(image.layout(), b, 4096, image.Fetcher()));
      }
    }
  }
  uint64_t blocks = 0;
  for (auto _ : state) {
    auto cache = OpenCache(dir.path(), uint64_t{1} << 30);
    state.PauseTiming();
    blocks = cache->stats().used_bytes / 512;
    cache.reset();  // writes the index again: not part of opening
    state.ResumeTiming();
  }
  state.counters["blocks"] = static_cast<double>(blocks);
}
BENCHMARK(BM_OpenWith100kBlocks)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace imagefs::cache
