// Upload throughput of the image store (bytes through UploadWriter into the page
// cache, with md5, sha512 and per-block SHA-256) against the floor set by the
// digests themselves: md5 and sha512 of the same bytes on two threads at once.
// The goal is upload >= 0.8 x that baseline. Files go to $STORE_BENCH_DIR (default
// /tmp). Sizes: 256 MiB per iteration, appended in 64 KiB pieces as a socket would.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "common/digest.h"
#include "common/uuid.h"
#include "service/store/file_io.h"
#include "service/store/image_store.h"
#include "service/store/parallel_hasher.h"

namespace imagefs::service {
namespace {

constexpr size_t kUploadBytes = size_t{256} << 20;
constexpr size_t kPiece = 64 << 10;

const std::string& Data() {
  static const std::string* data = [] {
    auto* s = new std::string(kUploadBytes, '\0');
    std::mt19937_64 rng(42);
    for (size_t i = 0; i + 8 <= s->size(); i += 8) {
      uint64_t v = rng();
      std::memcpy(s->data() + i, &v, 8);
    }
    return s;
  }();
  return *data;
}

// Generated before any benchmark runs, so no benchmark pays for it.
[[maybe_unused]] const bool kDataReady = !Data().empty();

std::string BenchDir() {
  const char* dir = std::getenv("STORE_BENCH_DIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/store_bench." + NewUuid();
}

// CPU seconds (user + system) used by the whole process so far, all threads.
double ProcessCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Reports throughput, and CPU seconds per GiB over all threads: on a loaded
// machine wall time varies with the neighbours, CPU per byte much less.
class Meter {
 public:
  explicit Meter(benchmark::State& state) : state_(state), cpu_start_(ProcessCpuSeconds()) {}
  ~Meter() {
    double bytes = static_cast<double>(state_.iterations()) * kUploadBytes;
    state_.SetBytesProcessed(static_cast<int64_t>(bytes));
    state_.counters["cpu_s_per_GiB"] = (ProcessCpuSeconds() - cpu_start_) / (bytes / (1 << 30));
  }
  Meter(const Meter&) = delete;
  Meter& operator=(const Meter&) = delete;

 private:
  benchmark::State& state_;
  double cpu_start_;
};

// Baselines: each digest alone, and md5 || sha512 on two threads (the floor).
void BM_Md5(benchmark::State& state) {
  Meter meter(state);
  for (auto _ : state) benchmark::DoNotOptimize(DigestHex(DigestAlgorithm::kMd5, Data()));
}
void BM_Sha512(benchmark::State& state) {
  Meter meter(state);
  for (auto _ : state) benchmark::DoNotOptimize(DigestHex(DigestAlgorithm::kSha512, Data()));
}
void BM_Sha256PerBlock(benchmark::State& state) {
  Meter meter(state);
  for (auto _ : state) {
    for (size_t at = 0; at < kUploadBytes; at += wire::kDefaultBlockSize) {
      benchmark::DoNotOptimize(Sha256Raw(Data().data() + at, wire::kDefaultBlockSize));
    }
  }
}
void BM_Md5AndSha512OnTwoThreads(benchmark::State& state) {
  Meter meter(state);
  for (auto _ : state) {
    std::thread md5([] { benchmark::DoNotOptimize(DigestHex(DigestAlgorithm::kMd5, Data())); });
    benchmark::DoNotOptimize(DigestHex(DigestAlgorithm::kSha512, Data()));
    md5.join();
  }
}

// Writes to a file with pwrite, as the store's sink does.
class FileSink : public ByteSink {
 public:
  explicit FileSink(const std::string& path)
      : path_(path), fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {}
  ~FileSink() override { ::unlink(path_.c_str()); }
  Status Write(uint64_t offset, std::string_view data) override {
    return PwriteAll(fd_.get(), offset, data);
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

// The pipeline alone. Arg 0: block stage on the caller (1) or on a worker (0).
// Arg 1: write to a file (1) or hash only (0). Arg 2: buffer size in MiB (the
// pipeline holds 32 MiB whatever the size).
void BM_ParallelHasher(benchmark::State& state) {
  Meter meter(state);
  ParallelHasherOptions options;
  options.blocks_on_caller = state.range(0) != 0;
  options.buffer_size = static_cast<size_t>(state.range(2)) << 20;
  std::string path = BenchDir();
  for (auto _ : state) {
    std::unique_ptr<FileSink> sink = state.range(1) ? std::make_unique<FileSink>(path) : nullptr;
    ParallelHasher hasher(options, sink.get());
    for (size_t at = 0; at < kUploadBytes; at += kPiece) {
      benchmark::DoNotOptimize(hasher.Append(Data().data() + at, kPiece).ok());
    }
    benchmark::DoNotOptimize(hasher.Finish().ok());
  }
}

// The real thing: LocalDirStore upload, Finish and Commit. Arg: fsync on (1) / off (0).
void BM_Upload(benchmark::State& state) {
  Meter meter(state);
  std::string dir = BenchDir();
  LocalDirStoreOptions options{.dir = dir, .fsync = state.range(0) != 0};
  std::unique_ptr<ImageStore> store = std::move(NewLocalDirStore(options)).value();
  for (auto _ : state) {
    std::string id = NewUuid();
    std::unique_ptr<UploadWriter> writer = std::move(store->BeginUpload(id)).value();
    for (size_t at = 0; at < kUploadBytes; at += kPiece) {
      benchmark::DoNotOptimize(writer->Append(Data().data() + at, kPiece).ok());
    }
    benchmark::DoNotOptimize(writer->Finish().ok());
    benchmark::DoNotOptimize(writer->Commit().ok());
    state.PauseTiming();
    writer.reset();
    benchmark::DoNotOptimize(store->Remove(id).ok());
    state.ResumeTiming();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

BENCHMARK(BM_Md5)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Sha512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Sha256PerBlock)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Md5AndSha512OnTwoThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ParallelHasher)
    ->ArgsProduct({{0, 1}, {0, 1}, {1, 4}})
    ->ArgNames({"blocks_on_caller", "file", "buffer_mib"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Upload)
    ->ArgName("fsync")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace imagefs::service
