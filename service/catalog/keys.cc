#include "service/catalog/keys.h"

namespace imagefs::service::catalog {

std::string ImageKey(std::string_view image_id) {
  std::string key(kImagePrefix);
  key.append(image_id);
  return key;
}

std::string BlockMapKey(std::string_view image_id) {
  std::string key(kBlockMapPrefix);
  key.append(image_id);
  return key;
}

std::string MemberKeyPrefix(std::string_view image_id) {
  std::string key(kMemberPrefix);
  key.append(image_id);
  key.push_back('/');
  return key;
}

std::string MemberKey(std::string_view image_id, std::string_view member_id) {
  std::string key = MemberKeyPrefix(image_id);
  key.append(member_id);
  return key;
}

std::optional<std::pair<std::string, std::string>> ParseMemberKey(std::string_view key) {
  if (key.substr(0, kMemberPrefix.size()) != kMemberPrefix) return std::nullopt;
  key.remove_prefix(kMemberPrefix.size());
  size_t slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  return std::make_pair(std::string(key.substr(0, slash)), std::string(key.substr(slash + 1)));
}

std::string TaskKey(std::string_view task_id) {
  std::string key(kTaskPrefix);
  key.append(task_id);
  return key;
}

std::string DocumentPrefix(std::string_view kind) {
  std::string key(kDocumentPrefix);
  key.append(kind);
  key.push_back('/');
  return key;
}

std::string DocumentKey(std::string_view kind, std::string_view key) {
  return DocumentPrefix(kind) + std::string(key);
}

bool IsStorableImageId(std::string_view id) {
  return !id.empty() && id.find('/') == std::string_view::npos &&
         id.find('\0') == std::string_view::npos;
}

}  // namespace imagefs::service::catalog
