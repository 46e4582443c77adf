// Codec micro-benchmarks: one image and a page of images, encoded and decoded in
// the Images API v2 JSON form (common/wire/image_codec.h, what imaged renders and
// the mount parses) and in the catalog's binary record form (what RocksDB holds,
// decoded on every GET).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/wire/image.h"
#include "common/wire/image_codec.h"
#include "service/catalog/record_codec.h"

namespace imagefs {
namespace {

// A typical active image: a 650-byte v2 document (as perf.md's set), 2 tags,
// 2 custom properties, hashes present.
wire::Image TypicalImage(int n) {
  wire::Image image;
  char id[37];
  std::snprintf(id, sizeof(id), "2a1c7c4e-5b7d-4f0e-9c1a-%012d", n);
  image.id = id;
  image.name = "perf-" + std::to_string(n);
  image.status = wire::ImageStatus::kActive;
  image.visibility = wire::Visibility::kShared;
  image.checksum = "c8fc807773e5354afe61636071771906";
  image.os_hash_algo = "sha512";
  image.os_hash_value = std::string(128, 'a');
  image.owner = "4b4c8b4b0e3b4a5f9c2d8e7f6a5b4c3d";
  image.size = 21430272;
  image.virtual_size = 117440512;
  image.container_format = "bare";
  image.disk_format = "qcow2";
  image.created_at = 1'700'000'000'000'000 + int64_t{n} * 1000;
  image.updated_at = image.created_at;
  image.tags = {"perf", "x"};
  image.properties = {{"os_distro", "cirros"}, {"hw_disk_bus", "virtio"}};
  image.stores = {"fs"};
  image.block_size = wire::kDefaultBlockSize;
  return image;
}

std::string PageJson(int count) {
  boost::json::array images;
  for (int n = 0; n < count; ++n) {
    images.push_back(wire::ToV2Json(TypicalImage(n)));
  }
  boost::json::object page;
  page["images"] = std::move(images);
  page["first"] = "/v2/images";
  page["schema"] = "/v2/schemas/images";
  page["next"] = "/v2/images?marker=x";
  return boost::json::serialize(page);
}

void BM_SerializeV2Image(benchmark::State& state) {
  const wire::Image image = TypicalImage(1);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string json = wire::SerializeV2Image(image);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["json_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SerializeV2Image);

void BM_ParseV2Image(benchmark::State& state) {
  const std::string json = wire::SerializeV2Image(TypicalImage(1));
  for (auto _ : state) {
    Result<wire::Image> image = wire::ParseV2Image(json);
    if (!image.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(image);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
}
BENCHMARK(BM_ParseV2Image);

// A list page of N images rendered as GET /v2/images does (one object, serialized once).
void BM_SerializeV2Page(benchmark::State& state) {
  std::vector<wire::Image> images;
  for (int n = 0; n < state.range(0); ++n) {
    images.push_back(TypicalImage(n));
  }
  for (auto _ : state) {
    boost::json::array array;
    array.reserve(images.size());
    for (const wire::Image& image : images) {
      array.push_back(wire::ToV2Json(image));
    }
    boost::json::object page;
    page["images"] = std::move(array);
    page["first"] = "/v2/images";
    page["schema"] = "/v2/schemas/images";
    std::string json = boost::json::serialize(page);
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SerializeV2Page)->Arg(25)->Arg(1000);

// What the mount does with each page of its listing.
void BM_ParseV2Page(benchmark::State& state) {
  const std::string json = PageJson(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    Result<wire::ImagePage> page = wire::ParseV2ImagePage(json);
    if (!page.ok() || page->images.size() != static_cast<size_t>(state.range(0))) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
}
BENCHMARK(BM_ParseV2Page)->Arg(25)->Arg(1000);

void BM_EncodeRecord(benchmark::State& state) {
  const wire::Image image = TypicalImage(1);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string record = service::catalog::EncodeImage(image);
    bytes = record.size();
    benchmark::DoNotOptimize(record);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["record_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_EncodeRecord);

void BM_DecodeRecord(benchmark::State& state) {
  const std::string record = service::catalog::EncodeImage(TypicalImage(1));
  for (auto _ : state) {
    Result<wire::Image> image = service::catalog::DecodeImage(record);
    if (!image.ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(image);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeRecord);

}  // namespace
}  // namespace imagefs
