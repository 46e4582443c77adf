// Catalog micro-benchmarks: list pages, show and update on catalogs of 10,000 and
// 100,000 images, and the time to open (load the index of) such a catalog.
//
// Each size is filled once per process (sync off, not timed) in a temp dir, with
// every image owned by project "owner" (so its default list walks all of them),
// 1 in 10 public, names from 1,000 distinct values, statuses mostly active.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "common/uuid.h"
#include "service/catalog/catalog.h"

namespace imagefs::service {
namespace {

constexpr int64_t kBase = 1'700'000'000'000'000;

Identity Project(const std::string& project) {
  Identity id;
  id.project = project;
  id.roles = {"member", "reader"};
  return id;
}

wire::Image BenchImage(int n) {
  wire::Image image;
  image.id = NewUuid();
  image.name = "image-" + std::to_string(n % 1000);
  image.owner = "owner";
  image.status = n % 20 == 0 ? wire::ImageStatus::kQueued : wire::ImageStatus::kActive;
  image.visibility = n % 10 == 0 ? wire::Visibility::kPublic : wire::Visibility::kPrivate;
  image.size = int64_t{1} << (20 + n % 10);
  image.disk_format = n % 2 ? "raw" : "qcow2";
  image.container_format = "bare";
  image.created_at = kBase + int64_t{n} * 1000;
  image.updated_at = image.created_at;
  image.tags = {"t" + std::to_string(n % 7)};
  image.properties = {{"os_distro", n % 3 ? "debian" : "ubuntu"}};
  return image;
}

// One filled catalog directory per size; the open catalog can be swapped for one
// with another sync setting.
class Dataset {
 public:
  explicit Dataset(int images) : images_(images) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "catalog_bench.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    Open(/*sync=*/false);
    for (int n = 0; n < images; ++n) {
      wire::Image image = BenchImage(n);
      if (n == images / 2) middle_id_ = image.id;
      if (!catalog_->CreateImage(image).ok()) std::abort();
    }
  }
  ~Dataset() {
    catalog_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Catalog& Open(bool sync) {
    if (catalog_ && sync_ == sync) return *catalog_;
    catalog_.reset();
    RocksCatalogOptions options;
    options.path = (dir_ / "db").string();
    options.sync = sync;
    Result<std::unique_ptr<Catalog>> opened = OpenRocksCatalog(options);
    if (!opened.ok()) std::abort();
    catalog_ = std::move(opened).value();
    sync_ = sync;
    return *catalog_;
  }
  void Close() { catalog_.reset(); }

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& middle_id() const { return middle_id_; }
  int images() const { return images_; }

 private:
  int images_;
  std::filesystem::path dir_;
  std::string middle_id_;
  std::unique_ptr<Catalog> catalog_;
  bool sync_ = false;
};

std::map<int64_t, std::unique_ptr<Dataset>>& Datasets() {
  static auto* datasets = new std::map<int64_t, std::unique_ptr<Dataset>>;
  return *datasets;
}

// RocksDB must be closed before its own statics are destroyed at exit; an atexit
// handler registered after the first open runs before them.
void DestroyDatasets() { Datasets().clear(); }

Dataset& DatasetOf(int64_t images) {
  std::unique_ptr<Dataset>& d = Datasets()[images];
  if (!d) {
    d = std::make_unique<Dataset>(static_cast<int>(images));
    static const bool registered = std::atexit(DestroyDatasets) == 0;
    (void)registered;
  }
  return *d;
}

ListQuery Parse(const QueryParams& params, const std::string& project = "owner") {
  Result<ListQuery> q = ParseV2ListQuery(params, Project(project));
  if (!q.ok()) std::abort();
  return *q;
}

void RunList(benchmark::State& state, const ListQuery& query) {
  Catalog& catalog = DatasetOf(state.range(0)).Open(false);
  size_t listed = 0;
  for (auto _ : state) {
    Result<ListPage> page = catalog.ListImages(query);
    listed = page->images.size();
    benchmark::DoNotOptimize(page);
  }
  state.counters["images"] = static_cast<double>(state.range(0));
  state.counters["listed"] = static_cast<double>(listed);
}

// GET /v2/images as the owner of every image: walks the (created_at, id) index.
void BM_DefaultListPage(benchmark::State& state) { RunList(state, Parse({})); }

// A project owning nothing: merges its (empty) owner set with the public images.
void BM_DefaultListPageOtherProject(benchmark::State& state) {
  RunList(state, Parse({}, "stranger"));
}

// status=active&sort=name:asc: walks the (name, created_at, id) index.
void BM_FilteredNameSortedList(benchmark::State& state) {
  RunList(state, Parse({{"status", "active"}, {"sort", "name:asc"}}));
}

// name=in:…&sort=size:desc: no index for this order, scans the owner's images.
void BM_FilteredScanSortedList(benchmark::State& state) {
  RunList(state, Parse({{"name", "in:image-1,image-2,image-3"}, {"sort", "size:desc"}}));
}

// A custom-property filter with the default order: the walk skips non-matches.
void BM_PropertyFilterList(benchmark::State& state) {
  RunList(state, Parse({{"os_distro", "ubuntu"}, {"tag", "t3"}}));
}

// The page after a marker half-way down the default order.
void BM_DeepMarkerPage(benchmark::State& state) {
  RunList(state, Parse({{"marker", DatasetOf(state.range(0)).middle_id()}}));
}

void BM_GetImage(benchmark::State& state) {
  Dataset& d = DatasetOf(state.range(0));
  Catalog& catalog = d.Open(false);
  for (auto _ : state) benchmark::DoNotOptimize(catalog.GetImage(d.middle_id()));
  state.counters["images"] = static_cast<double>(state.range(0));
}

// UpdateImage (read-modify-write, one WriteBatch) with sync off (0) or on (1).
void BM_UpdateImage(benchmark::State& state) {
  Dataset& d = DatasetOf(state.range(0));
  Catalog& catalog = d.Open(state.range(1) != 0);
  int64_t n = 0;
  for (auto _ : state) {
    auto touch = [&n](wire::Image& image) {
      image.updated_at = kBase + (++n);
      return Status::Ok();
    };
    if (!catalog.UpdateImage(d.middle_id(), touch).ok()) state.SkipWithError("update failed");
  }
  state.counters["images"] = static_cast<double>(state.range(0));
}

// OpenRocksCatalog on an existing catalog: RocksDB open + loading the index.
void BM_OpenAndLoad(benchmark::State& state) {
  Dataset& d = DatasetOf(state.range(0));
  d.Close();
  RocksCatalogOptions options;
  options.path = (d.dir() / "db").string();
  for (auto _ : state) {
    Result<std::unique_ptr<Catalog>> opened = OpenRocksCatalog(options);
    if (!opened.ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(opened);
  }
  state.counters["images"] = static_cast<double>(state.range(0));
}

BENCHMARK(BM_DefaultListPage)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_DefaultListPageOtherProject)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_FilteredNameSortedList)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_FilteredScanSortedList)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PropertyFilterList)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_DeepMarkerPage)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_GetImage)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_UpdateImage)->Args({10'000, 0})->Args({100'000, 0})->Args({100'000, 1});
BENCHMARK(BM_OpenAndLoad)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace imagefs::service
