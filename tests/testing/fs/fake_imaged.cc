#include "tests/testing/fs/fake_imaged.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <boost/json.hpp>
#include <sys/stat.h>

#include "common/crc32c.h"
#include "common/digest.h"
#include "common/time_util.h"
#include "common/uuid.h"
#include "common/wire/image_codec.h"

namespace imagefs::fstest {
namespace {

namespace json = boost::json;

std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(const std::string& q) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < q.size()) {
    size_t amp = q.find('&', pos);
    if (amp == std::string::npos) amp = q.size();
    std::string kv = q.substr(pos, amp - pos);
    size_t eq = kv.find('=');
    out[UrlDecode(kv.substr(0, eq))] = eq == std::string::npos ? "" : UrlDecode(kv.substr(eq + 1));
    pos = amp + 1;
  }
  return out;
}

HttpResponse Json(int status, const json::value& v) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json::serialize(v);
  return r;
}

// Fills size, checksums and the block map of `image` from its bytes, fed by `read`.
std::shared_ptr<const wire::BlockMap> Describe(
    wire::Image& image, uint64_t size, uint32_t block_size,
    const std::function<std::string(uint64_t, uint64_t)>& read) {
  Digest md5(DigestAlgorithm::kMd5), sha512(DigestAlgorithm::kSha512);
  auto map = std::make_shared<wire::BlockMap>();
  map->image_id = image.id;
  map->size = size;
  map->block_size = block_size;
  for (uint64_t off = 0; off < size; off += block_size) {
    std::string block = read(off, std::min<uint64_t>(block_size, size - off));
    md5.Update(block);
    sha512.Update(block);
    map->digests.push_back(Sha256Raw(block.data(), block.size()));
    map->crc32c.push_back(Crc32c(block.data(), block.size()));
  }
  image.size = static_cast<int64_t>(size);
  image.virtual_size = static_cast<int64_t>(size);
  image.checksum = md5.FinishHex();
  image.os_hash_algo = "sha512";
  image.os_hash_value = sha512.FinishHex();
  image.status = wire::ImageStatus::kActive;
  image.disk_format = image.disk_format.value_or("raw");
  image.container_format = image.container_format.value_or("bare");
  image.block_size = block_size;
  map->content_key = image.ContentKey();
  return map;
}

bool ParseRange(const std::string& header, uint64_t size, uint64_t* first, uint64_t* last) {
  if (header.rfind("bytes=", 0) != 0) return false;
  size_t dash = header.find('-', 6);
  if (dash == std::string::npos) return false;
  *first = std::stoull(header.substr(6, dash - 6));
  std::string end = header.substr(dash + 1);
  *last = end.empty() ? size - 1 : std::min<uint64_t>(std::stoull(end), size - 1);
  return true;
}

}  // namespace

HttpResponse JsonError(int status, const std::string& message) {
  return Json(status, json::object{{"message", message},
                                   {"code", std::to_string(status) + " " + ReasonPhrase(status)},
                                   {"title", ReasonPhrase(status)}});
}

FakeImaged::FakeImaged(const FakeImagedOptions& options)
    : options_(options),
      server_([this](const HttpRequest& r) { return Handle(r); }),
      serve_blocks_(options.serve_blocks) {}

FakeImaged::~FakeImaged() { server_.Stop(); }

Status FakeImaged::Start() { return server_.Start(options_.port); }
void FakeImaged::Stop() { server_.Stop(); }
std::string FakeImaged::url() const { return "http://127.0.0.1:" + std::to_string(port()); }

int64_t FakeImaged::NextTime() {
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  last_time_ = std::max(now, last_time_ + 1);
  return last_time_;
}

void FakeImaged::Store(wire::Image image, Entry entry) {
  std::lock_guard lock(mu_);
  int64_t t = NextTime();
  if (image.created_at == 0) image.created_at = t;
  if (image.updated_at == 0) image.updated_at = t;
  entry.image = std::move(image);
  images_[entry.image.id] = std::move(entry);
}

std::string FakeImaged::AddImage(std::optional<std::string> name, std::string data,
                                 std::string id) {
  wire::Image image;
  image.id = id.empty() ? NewUuid() : id;
  image.name = std::move(name);
  image.visibility = wire::Visibility::kPublic;
  auto bytes = std::make_shared<const std::string>(std::move(data));
  Entry e;
  e.blocks = Describe(image, bytes->size(), options_.block_size,
                      [&](uint64_t off, uint64_t n) { return bytes->substr(off, n); });
  e.data = bytes;
  Store(image, std::move(e));
  return image.id;
}

Result<std::string> FakeImaged::AddImageFromFile(std::optional<std::string> name,
                                                 const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path);
  auto file = std::shared_ptr<int>(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  struct stat st {};
  ::fstat(fd, &st);
  wire::Image image;
  image.id = NewUuid();
  image.name = std::move(name);
  image.visibility = wire::Visibility::kPublic;
  Entry e;
  e.blocks = Describe(image, static_cast<uint64_t>(st.st_size), options_.block_size,
                      [&](uint64_t off, uint64_t n) {
                        std::string s(n, '\0');
                        ssize_t r = ::pread(fd, s.data(), n, static_cast<off_t>(off));
                        s.resize(r > 0 ? static_cast<size_t>(r) : 0);
                        return s;
                      });
  e.file = file;
  Store(image, std::move(e));
  return image.id;
}

void FakeImaged::PutImage(const wire::Image& image, std::optional<std::string> data) {
  wire::Image copy = image;
  Entry e;
  if (data) {
    auto bytes = std::make_shared<const std::string>(std::move(*data));
    wire::ImageStatus status = copy.status;
    e.blocks = Describe(copy, bytes->size(), options_.block_size,
                        [&](uint64_t off, uint64_t n) { return bytes->substr(off, n); });
    copy.status = status;
    e.data = bytes;
  }
  Store(std::move(copy), std::move(e));
}

void FakeImaged::RemoveImage(const std::string& id) {
  std::lock_guard lock(mu_);
  images_.erase(id);
}

std::optional<wire::Image> FakeImaged::GetImage(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end()) return std::nullopt;
  return it->second.image;
}

void FakeImaged::Mutate(const std::string& id, const std::function<void(wire::Image&)>& change) {
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end()) return;
  change(it->second.image);
  it->second.image.updated_at = NextTime();
}

void FakeImaged::SetServeBlocks(bool on) {
  std::lock_guard lock(mu_);
  serve_blocks_ = on;
}

void FakeImaged::FailNextFileRequests(int n) {
  std::lock_guard lock(mu_);
  fail_file_ = n;
}

void FakeImaged::SetCorruptFiles(bool on) {
  std::lock_guard lock(mu_);
  corrupt_ = on;
}

uint64_t FakeImaged::Count(RequestKind kind) const {
  return counts_[static_cast<int>(kind)].load();
}

void FakeImaged::ResetCounts() {
  for (auto& c : counts_) c = 0;
  file_bytes_ = 0;
}

HttpResponse FakeImaged::Handle(const HttpRequest& req) {
  auto count = [this](RequestKind k) { counts_[static_cast<int>(k)].fetch_add(1); };
  if (!options_.token.empty() && req.Header("x-auth-token") != options_.token) {
    count(RequestKind::kOther);
    return JsonError(401, "This server could not verify that you are authorized.");
  }
  constexpr std::string_view kPrefix = "/v2/images";
  if (req.path == kPrefix && req.method == "GET") {
    count(RequestKind::kList);
    return List(req);
  }
  if (req.path.rfind("/v2/images/", 0) == 0) {
    std::string rest = req.path.substr(kPrefix.size() + 1);
    size_t slash = rest.find('/');
    std::string id = rest.substr(0, slash);
    std::string sub = slash == std::string::npos ? "" : rest.substr(slash);
    if (sub.empty() && req.method == "GET") {
      count(RequestKind::kShow);
      auto img = GetImage(id);
      if (!img || img->status == wire::ImageStatus::kDeleted) return JsonError(404, "No image");
      return Json(200, wire::ToV2Json(*img));
    }
    if (sub.empty() && req.method == "PATCH") {
      count(RequestKind::kPatch);
      return Patch(id, req);
    }
    if (sub == "/file" && req.method == "GET") {
      count(RequestKind::kFile);
      return File(id, req);
    }
    if (sub == "/blocks" && req.method == "GET") {
      count(RequestKind::kBlocks);
      return Blocks(id);
    }
  }
  count(RequestKind::kOther);
  return JsonError(404, "The resource could not be found.");
}

HttpResponse FakeImaged::List(const HttpRequest& req) {
  auto q = ParseQuery(req.query);
  int limit = q.count("limit") ? std::clamp(std::stoi(q["limit"]), 1, 1000) : 25;
  bool by_update = q["sort"] == "updated_at:asc";
  std::optional<int64_t> after;
  if (q.count("updated_at")) {
    std::string v = q["updated_at"];
    if (v.rfind("gt:", 0) != 0) return JsonError(400, "only gt: is supported here");
    auto t = ParseIso(v.substr(3));
    if (!t.ok()) return JsonError(400, "bad time");
    after = *t;
  }
  std::lock_guard lock(mu_);
  std::vector<const wire::Image*> visible;
  visible.reserve(images_.size());
  for (const auto& [id, e] : images_) {
    const auto& img = e.image;
    if (img.os_hidden || img.status == wire::ImageStatus::kDeleted) continue;
    // The API shows seconds; compare as the real service does, on whole seconds.
    if (after && img.updated_at / 1000000 * 1000000 <= *after) continue;
    visible.push_back(&img);
  }
  std::sort(visible.begin(), visible.end(), [by_update](const auto* a, const auto* b) {
    if (by_update) return std::tie(a->updated_at, a->id) < std::tie(b->updated_at, b->id);
    return std::tie(a->created_at, a->id) > std::tie(b->created_at, b->id);
  });
  size_t start = 0;
  if (q.count("marker")) {
    auto it = std::find_if(visible.begin(), visible.end(),
                           [&](const auto* i) { return i->id == q["marker"]; });
    if (it == visible.end()) return JsonError(400, "Invalid marker");
    start = static_cast<size_t>(it - visible.begin()) + 1;
  }
  json::array page;
  size_t end = std::min(visible.size(), start + static_cast<size_t>(limit));
  for (size_t i = start; i < end; ++i) page.emplace_back(wire::ToV2Json(*visible[i]));
  json::object o{
      {"images", std::move(page)}, {"first", "/v2/images"}, {"schema", "/v2/schemas/images"}};
  if (end - start == static_cast<size_t>(limit) && end > start) {
    std::string next = "/v2/images?";
    for (const auto& [k, v] : q) {
      if (k != "marker") next += k + "=" + v + "&";
    }
    o["next"] = next + "marker=" + visible[end - 1]->id;
  }
  return Json(200, o);
}

HttpResponse FakeImaged::File(const std::string& id, const HttpRequest& req) {
  Entry e;
  bool corrupt = false;
  {
    std::lock_guard lock(mu_);
    auto it = images_.find(id);
    if (it == images_.end()) return JsonError(404, "No image found with ID " + id);
    e = it->second;
    if (fail_file_ > 0) {
      --fail_file_;
      return JsonError(503, "injected failure");
    }
    corrupt = corrupt_;
  }
  if (e.image.status == wire::ImageStatus::kDeactivated) {
    return JsonError(403, "The requested image has been deactivated.");
  }
  if (!e.data && !e.file) {
    HttpResponse none;
    none.status = 204;
    return none;
  }
  uint64_t size = static_cast<uint64_t>(e.image.size.value_or(0));
  uint64_t first = 0, last = size == 0 ? 0 : size - 1;
  HttpResponse r;
  r.status = 200;
  std::string range = req.Header("range");
  if (!range.empty()) {
    if (!ParseRange(range, size, &first, &last) || first >= size) {
      return JsonError(416, "Requested range not satisfiable");
    }
    r.status = 206;
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                std::to_string(last) + "/" + std::to_string(size));
  }
  uint64_t n = size == 0 ? 0 : last - first + 1;
  r.headers.emplace_back("Content-Type", "application/octet-stream");
  file_bytes_.fetch_add(n);
  if (e.file && !corrupt) {
    r.file_fd = *e.file;
    r.file_offset = first;
    r.file_length = n;
    r.keep_alive = e.file;
    return r;
  }
  if (e.data) {
    r.body = e.data->substr(first, n);
  } else {
    r.body.resize(n);
    ssize_t got = ::pread(*e.file, r.body.data(), n, static_cast<off_t>(first));
    r.body.resize(got > 0 ? static_cast<size_t>(got) : 0);
  }
  if (corrupt && !r.body.empty()) r.body[0] = static_cast<char>(r.body[0] ^ 0x5a);
  return r;
}

HttpResponse FakeImaged::Blocks(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (!serve_blocks_ || it == images_.end() || !it->second.blocks) {
    return JsonError(404, "The resource could not be found.");
  }
  wire::BlockMap map = *it->second.blocks;
  if (blocks_fault_ == BlocksFault::kNoCrcs) map.crc32c.clear();
  if (blocks_fault_ == BlocksFault::kWrongDigests) {
    for (std::string& d : map.digests) d[0] = static_cast<char>(d[0] ^ 1);
  }
  return Json(200, wire::ToJson(map));
}

void FakeImaged::SetBlocksFault(BlocksFault fault) {
  std::lock_guard lock(mu_);
  blocks_fault_ = fault;
}

}  // namespace imagefs::fstest
