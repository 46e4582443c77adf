#include "cache/index_file.h"

#include "common/digest.h"

namespace imagefs::cache {
namespace {

constexpr std::string_view kMagic = "IMGFSIDX";
constexpr size_t kChecksumBytes = 32;

template <typename T>
void Put(std::string* out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out->push_back(static_cast<char>(static_cast<uint64_t>(value) >> (8 * i)));
  }
}

// Reads fixed-size little-endian fields from a byte string, failing once it runs out.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  template <typename T>
  bool Get(T* value) {
    if (bytes_.size() < sizeof(T)) {
      return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[i])) << (8 * i);
    }
    *value = static_cast<T>(v);
    bytes_.remove_prefix(sizeof(T));
    return true;
  }

  bool GetBytes(size_t n, std::string_view* out) {
    if (bytes_.size() < n) {
      return false;
    }
    *out = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return true;
  }

  size_t remaining() const { return bytes_.size(); }

 private:
  std::string_view bytes_;
};

Status Malformed(std::string_view what) { return DataLoss("cache index: " + std::string(what)); }

Status ReadVersions(Reader* in, IndexSnapshot* snapshot) {
  uint32_t count = 0;
  if (!in->Get(&count) || count > in->remaining() / sizeof(uint16_t)) {
    return Malformed("bad version count");
  }
  snapshot->versions.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t n = 0;
    std::string_view stem;
    if (!in->Get(&n) || !in->GetBytes(n, &stem)) {
      return Malformed("truncated version name");
    }
    std::optional<VersionName> name = ParseVersionName(stem);
    if (!name.has_value() || name->Stem() != stem) {
      return Malformed("bad version name");
    }
    snapshot->versions.push_back(*std::move(name));
  }
  return Status::Ok();
}

Status ReadBlocks(Reader* in, IndexSnapshot* snapshot) {
  constexpr size_t kRecord = sizeof(uint32_t) + 2 * sizeof(uint64_t);
  uint64_t count = 0;
  if (!in->Get(&count) || count != in->remaining() / kRecord || in->remaining() % kRecord != 0) {
    return Malformed("bad block count");
  }
  snapshot->blocks.reserve(count);
  snapshot->checks.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t v = 0;
    uint64_t index = 0;
    uint64_t check = 0;
    in->Get(&v);
    in->Get(&index);
    in->Get(&check);
    if (v >= snapshot->versions.size() || index >= snapshot->versions[v].BlockCount()) {
      return Malformed("block out of range");
    }
    if (check != 0 && (check >> 32) != 1) {
      return Malformed("bad block check");
    }
    snapshot->blocks.emplace_back(v, index);
    snapshot->checks.push_back(check);
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeIndex(const IndexSnapshot& snapshot) {
  std::string out(kMagic);
  Put(&out, kIndexFormat);
  Put(&out, static_cast<uint32_t>(snapshot.versions.size()));
  for (const VersionName& name : snapshot.versions) {
    std::string stem = name.Stem();
    Put(&out, static_cast<uint16_t>(stem.size()));
    out += stem;
  }
  Put(&out, static_cast<uint64_t>(snapshot.blocks.size()));
  for (size_t i = 0; i < snapshot.blocks.size(); ++i) {
    Put(&out, snapshot.blocks[i].first);
    Put(&out, snapshot.blocks[i].second);
    Put(&out, i < snapshot.checks.size() ? snapshot.checks[i] : uint64_t{0});
  }
  out += Sha256Raw(out.data(), out.size());
  return out;
}

Result<IndexSnapshot> DecodeIndex(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + sizeof(uint32_t) + kChecksumBytes ||
      bytes.substr(0, kMagic.size()) != kMagic) {
    return Malformed("bad magic");
  }
  std::string_view body = bytes.substr(0, bytes.size() - kChecksumBytes);
  if (Sha256Raw(body.data(), body.size()) != bytes.substr(body.size())) {
    return Malformed("checksum mismatch");
  }
  Reader in(body.substr(kMagic.size()));
  uint32_t format = 0;
  if (!in.Get(&format) || format != kIndexFormat) {
    return Malformed("unknown format " + std::to_string(format));
  }
  IndexSnapshot snapshot;
  IMAGEFS_RETURN_IF_ERROR(ReadVersions(&in, &snapshot));
  IMAGEFS_RETURN_IF_ERROR(ReadBlocks(&in, &snapshot));
  return snapshot;
}

}  // namespace imagefs::cache
