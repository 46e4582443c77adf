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

Status ReadSeal(Reader* in, std::optional<FileStamp>* seal) {
  uint8_t sealed = 0;
  if (!in->Get(&sealed) || sealed > 1) {
    return Malformed("bad seal flag");
  }
  if (sealed == 1) {
    FileStamp stamp;
    if (!in->Get(&stamp.ino) || !in->Get(&stamp.size) || !in->Get(&stamp.ctime_ns) ||
        !in->Get(&stamp.mtime_ns)) {
      return Malformed("truncated seal");
    }
    *seal = stamp;
  }
  return Status::Ok();
}

Status ReadVersions(Reader* in, uint32_t format, IndexSnapshot* snapshot) {
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
    std::optional<FileStamp> seal;
    if (format >= 3) {
      IMAGEFS_RETURN_IF_ERROR(ReadSeal(in, &seal));
    }
    snapshot->seals.push_back(seal);
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
    if (check != 0 && (check >> 32) != 1 && (check >> 32) != 3) {
      return Malformed("bad block check");
    }
    if ((check & kVerifiedUnderSeal) != 0 && !snapshot->seals[v].has_value()) {
      return Malformed("verified block of an unsealed version");
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
  for (size_t i = 0; i < snapshot.versions.size(); ++i) {
    std::string stem = snapshot.versions[i].Stem();
    Put(&out, static_cast<uint16_t>(stem.size()));
    out += stem;
    const bool sealed = i < snapshot.seals.size() && snapshot.seals[i].has_value();
    Put(&out, static_cast<uint8_t>(sealed ? 1 : 0));
    if (sealed) {
      const FileStamp& stamp = *snapshot.seals[i];
      Put(&out, stamp.ino);
      Put(&out, stamp.size);
      Put(&out, stamp.ctime_ns);
      Put(&out, stamp.mtime_ns);
    }
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
  if (!in.Get(&format) || (format != kIndexFormat && format != 2)) {
    return Malformed("unknown format " + std::to_string(format));
  }
  IndexSnapshot snapshot;
  IMAGEFS_RETURN_IF_ERROR(ReadVersions(&in, format, &snapshot));
  IMAGEFS_RETURN_IF_ERROR(ReadBlocks(&in, &snapshot));
  return snapshot;
}

}  // namespace imagefs::cache
