#include "fs/state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <sys/stat.h>

#include "common/digest.h"
#include "common/wire/image_codec.h"

namespace imagefs::fs {
namespace {

namespace json = boost::json;

bool SafeFileName(const std::string& s) {
  return !s.empty() && s.size() < 200 &&
         s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("no file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

StateStore::StateStore(std::string dir, const std::string& identity) : dir_(std::move(dir)) {
  ::mkdir(dir_.c_str(), 0700);
  ::mkdir((dir_ + "/blockmaps").c_str(), 0700);
  std::string key = DigestHex(DigestAlgorithm::kSha256, identity).substr(0, 32);
  listing_path_ = dir_ + "/listing-" + key + ".json";
}

Status StateStore::WriteAtomically(const std::string& path, const std::string& content) const {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "create " + tmp);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0) {
      Status s = ErrnoStatus(errno, "write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(w);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus(errno, "rename " + tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

Status StateStore::SaveListing(const std::vector<wire::Image>& images) const {
  json::array arr;
  arr.reserve(images.size());
  for (const auto& img : images) arr.emplace_back(wire::ToV2Json(img));
  json::object o{{"version", 1}, {"images", std::move(arr)}};
  return WriteAtomically(listing_path_, json::serialize(o));
}

Result<std::vector<wire::Image>> StateStore::LoadListing() const {
  IMAGEFS_ASSIGN_OR_RETURN(std::string text, ReadFile(listing_path_));
  IMAGEFS_ASSIGN_OR_RETURN(json::value v, wire::ParseJson(text));
  if (!v.is_object() || !v.get_object().contains("images") ||
      !v.get_object().at("images").is_array()) {
    return InvalidArgument("listing file without images");
  }
  std::vector<wire::Image> out;
  for (const auto& e : v.get_object().at("images").get_array()) {
    IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, wire::ParseV2ImageValue(e));
    out.push_back(std::move(img));
  }
  return out;
}

Status StateStore::SaveBlockMap(const wire::BlockMap& map) const {
  if (!SafeFileName(map.content_key)) return InvalidArgument("content key is not hex");
  return WriteAtomically(dir_ + "/blockmaps/" + map.content_key,
                         json::serialize(wire::ToJson(map)));
}

std::optional<wire::BlockMap> StateStore::LoadBlockMap(const std::string& content_key) const {
  if (!SafeFileName(content_key)) return std::nullopt;
  auto text = ReadFile(dir_ + "/blockmaps/" + content_key);
  if (!text.ok()) return std::nullopt;
  auto map = wire::ParseBlockMap(*text);
  if (!map.ok() || map->content_key != content_key) return std::nullopt;
  return std::move(*map);
}

}  // namespace imagefs::fs
