// PATCH operations on /locations of /v2/images/{id} (spec 1.7, "Locations"; only
// when show_multiple_locations is on). An added location must be an http:// URL the
// host filter allows and whose size the http store can learn (HEAD); on a queued
// image the first location activates it, taking its size and `validation_data`.
#include "service/api/images_v2_locations.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include <boost/json.hpp>

#include "service/store/http_store.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

using Kind = PatchOp::Kind;

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

struct ValidationData {
  std::optional<std::string> checksum;
  std::string algo;
  std::string value;
};

// The shape of validation_data (400) and its values (409), spec 1.7.
Result<std::optional<ValidationData>> ParseValidationData(const json::object& loc) {
  const json::value* v = loc.if_contains("validation_data");
  if (v == nullptr) return std::optional<ValidationData>();
  if (!v->is_object())
    return InvalidArgument("Invalid location: validation_data must be an object");
  ValidationData d;
  for (const auto& [k, val] : v->get_object()) {
    if (!val.is_string()) return InvalidArgument("Invalid validation_data: " + std::string(k));
    std::string s(val.get_string());
    if (k == "checksum") {
      if (s.size() != 32) return InvalidArgument("Invalid validation_data: checksum length");
      d.checksum = s;
    } else if (k == "os_hash_algo") {
      d.algo = s;
    } else if (k == "os_hash_value") {
      d.value = s;
    } else {
      return InvalidArgument("Invalid validation_data: unexpected key " + std::string(k));
    }
  }
  if (d.algo.empty() || d.value.empty()) {
    return InvalidArgument("Invalid validation_data: os_hash_algo and os_hash_value are required");
  }
  if ((d.checksum && !IsHex(*d.checksum)) || !IsHex(d.value)) {
    return FailedPrecondition("checksum and os_hash_value must be hexadecimal");
  }
  if (d.algo != "sha512") {
    return FailedPrecondition("os_hash_algo must be sha512, not " + d.algo);
  }
  if (d.value.size() != 128) return FailedPrecondition("os_hash_value has the wrong length");
  return std::optional<ValidationData>(std::move(d));
}

Status ApplyValidationData(const ValidationData& d, wire::Image& img) {
  bool queued = img.status == wire::ImageStatus::kQueued;
  auto check = [&](const std::optional<std::string>& have, const std::string& want,
                   const char* what) -> Status {
    if (have ? *have != want : !queued) {
      return FailedPrecondition(std::string(what) + " of the location does not match the image");
    }
    return Status::Ok();
  };
  if (d.checksum) IMAGEFS_RETURN_IF_ERROR(check(img.checksum, *d.checksum, "checksum"));
  IMAGEFS_RETURN_IF_ERROR(check(img.os_hash_algo, d.algo, "os_hash_algo"));
  IMAGEFS_RETURN_IF_ERROR(check(img.os_hash_value, d.value, "os_hash_value"));
  if (d.checksum) img.checksum = d.checksum;
  img.os_hash_algo = d.algo;
  img.os_hash_value = d.value;
  return Status::Ok();
}

Result<wire::Location> ParseLocation(const json::value& v) {
  const json::value* url = v.is_object() ? v.get_object().if_contains("url") : nullptr;
  const json::value* meta = v.is_object() ? v.get_object().if_contains("metadata") : nullptr;
  if (url == nullptr || !url->is_string() || meta == nullptr || !meta->is_object()) {
    return InvalidArgument("Invalid location: a location needs a 'url' and a 'metadata' object");
  }
  wire::Location loc{std::string(url->get_string()), {}};
  for (const auto& [k, val] : meta->get_object()) {
    loc.metadata[std::string(k)] =
        val.is_string() ? std::string(val.get_string()) : json::serialize(val);
  }
  return loc;
}

// Activates a queued image from its first location.
void ActivateFromLocation(const LocationSizes& sizes, const wire::Location& loc, int64_t now,
                          wire::Image& img) {
  if (img.status != wire::ImageStatus::kQueued) return;
  auto size = sizes.find(loc.url);
  if (size != sizes.end()) img.size = static_cast<int64_t>(size->second);
  img.status = wire::ImageStatus::kActive;
  img.updated_at = now;
}

Status AddLocation(const ServiceContext& ctx, const LocationSizes& sizes, const PatchOp& op,
                   int64_t now, wire::Image& img) {
  if (img.status != wire::ImageStatus::kQueued && img.status != wire::ImageStatus::kActive) {
    return FailedPrecondition("It's not allowed to add locations if image status is " +
                              std::string(wire::ToString(img.status)) + ".");
  }
  IMAGEFS_ASSIGN_OR_RETURN(wire::Location loc, ParseLocation(*op.value));
  IMAGEFS_ASSIGN_OR_RETURN(std::optional<ValidationData> vd,
                           ParseValidationData(op.value->get_object()));
  for (const auto& have : img.locations) {
    if (have.url == loc.url) return InvalidArgument("The location " + loc.url + " already exists");
  }
  if (static_cast<int>(img.locations.size()) >= ctx.config.image_location_quota) {
    return ResourceExhausted("Maximum number of locations (" +
                             std::to_string(ctx.config.image_location_quota) + ") exceeded.");
  }
  size_t pos = img.locations.size();
  if (op.path[1] != "-") {
    char* end = nullptr;
    unsigned long i = std::strtoul(op.path[1].c_str(), &end, 10);
    if (op.path[1].empty() || *end != '\0' || i > img.locations.size()) {
      return InvalidArgument("Invalid position for adding a location.");
    }
    pos = i;
  }
  if (vd) IMAGEFS_RETURN_IF_ERROR(ApplyValidationData(*vd, img));
  img.locations.insert(img.locations.begin() + static_cast<ptrdiff_t>(pos), loc);
  ActivateFromLocation(sizes, loc, now, img);
  img.updated_at = now;
  return Status::Ok();
}

Status ReplaceLocations(const LocationSizes& sizes, const PatchOp& op, int64_t now,
                        wire::Image& img) {
  if (!op.value->is_array()) return InvalidArgument("Invalid locations: a list is expected");
  if (op.value->get_array().empty()) {
    return PermissionDenied("Cannot replace locations with an empty list.");
  }
  if (img.status != wire::ImageStatus::kQueued && img.status != wire::ImageStatus::kActive) {
    return FailedPrecondition("It's not allowed to replace locations if image status is " +
                              std::string(wire::ToString(img.status)) + ".");
  }
  std::vector<wire::Location> fresh;
  std::set<std::string> urls;
  for (const json::value& v : op.value->get_array()) {
    IMAGEFS_ASSIGN_OR_RETURN(wire::Location loc, ParseLocation(v));
    if (!urls.insert(loc.url).second) return InvalidArgument("Duplicate location " + loc.url);
    fresh.push_back(std::move(loc));
  }
  if (!img.locations.empty()) {
    std::set<std::string> have;
    for (const auto& l : img.locations) have.insert(l.url);
    if (have != urls) {
      return InvalidArgument("Original locations is not empty: only their metadata may change.");
    }
  }
  img.locations = std::move(fresh);
  ActivateFromLocation(sizes, img.locations.front(), now, img);
  img.updated_at = now;
  return Status::Ok();
}

Status RemoveLocation(const PatchOp& op, int64_t now, wire::Image& img) {
  if (img.status != wire::ImageStatus::kActive) {
    return FailedPrecondition("It's not allowed to remove locations if image status is " +
                              std::string(wire::ToString(img.status)) + ".");
  }
  char* end = nullptr;
  unsigned long i = std::strtoul(op.path[1].c_str(), &end, 10);
  if (op.path[1].empty() || *end != '\0' || i >= img.locations.size()) {
    return InvalidArgument("Invalid location index " + op.path[1]);
  }
  if (img.locations.size() == 1) {
    return PermissionDenied("Cannot remove last location in the image.");
  }
  img.locations.erase(img.locations.begin() + static_cast<ptrdiff_t>(i));
  img.updated_at = now;
  return Status::Ok();
}

}  // namespace

Result<LocationSizes> ProbeLocations(ServiceContext& ctx, const std::vector<PatchOp>& ops) {
  LocationSizes sizes;
  for (const PatchOp& op : ops) {
    if (op.path.empty() || op.path[0] != "locations" || op.kind == Kind::kRemove) continue;
    if (!ctx.config.show_multiple_locations) continue;  // ApplyLocationOp refuses it
    std::vector<const json::value*> values;
    if (op.value->is_array() && op.kind == Kind::kReplace) {
      for (const auto& v : op.value->get_array()) values.push_back(&v);
    } else {
      values.push_back(&*op.value);
    }
    for (const json::value* v : values) {
      IMAGEFS_ASSIGN_OR_RETURN(wire::Location loc, ParseLocation(*v));
      if (sizes.count(loc.url) > 0) continue;
      if (ctx.http_store == nullptr || !ctx.http_store->CheckUrl(loc.url).ok()) {
        return InvalidArgument("Invalid location: " + loc.url);
      }
      Result<uint64_t> size = ctx.http_store->Size(loc.url);
      if (!size.ok()) {
        return InvalidArgument("Invalid location: " + loc.url + ": " + size.status().message());
      }
      sizes[loc.url] = *size;
    }
  }
  return sizes;
}

Status ApplyLocationOp(const ServiceContext& ctx, const LocationSizes& sizes, const PatchOp& op,
                       int64_t now, wire::Image& img) {
  const char* verb = op.kind == Kind::kAdd       ? "add"
                     : op.kind == Kind::kReplace ? "update"
                                                 : "remove";
  if (!ctx.config.show_multiple_locations) {
    return PermissionDenied(std::string("It's not allowed to ") + verb +
                            " locations if locations are invisible.");
  }
  switch (op.kind) {
    case Kind::kAdd:
      return AddLocation(ctx, sizes, op, now, img);
    case Kind::kReplace:
      return ReplaceLocations(sizes, op, now, img);
    case Kind::kRemove:
      return RemoveLocation(op, now, img);
  }
  return Status::Ok();
}

}  // namespace imagefs::service::api
