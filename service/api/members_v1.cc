// Images API v1 sharing (spec 2.5): memberships with can_share, on the same member
// records as v2 (docs/api.md, "Sharing", says how the two models map):
//
// - A membership made through v1 starts `pending` in v2 terms, as in Glance; v1 lists
//   show shared images whatever the member's answer, v2 default lists once accepted.
//   Replacing the list keeps the v2 status (and created_at) of the members it keeps.
// - `can_share` lives on the member record; v2 neither shows nor changes it.
// - Who may change memberships: admin, the owner, or a member holding can_share (a
//   "delegate"). Others get 403 "No permission to share that image"; a caller who
//   may not see the image gets 404, exactly as for an image that does not exist.
// - Calls that grant access (both PUTs) need a v2-`shared` image (403 otherwise):
//   a private image stays private whichever API is used. Listing and removing work
//   on any image the caller may see, so v1 clients can read `{"members": []}` of a
//   public image and an owner can drop the rows a formerly shared image kept.
// - Reading: admin, owner and delegates see every membership of the image; any other
//   caller only its own (v2 rule). shared-images lists a project's memberships of
//   shared images, to admin, the image owners, and the project itself.
#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/images_v1.h"
#include "service/api/images_v2.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

Result<wire::Image> LoadV1Image(ServiceContext& ctx, const Identity& caller,
                                const std::string& id) {
  Result<wire::Image> img = LoadVisibleImage(ctx, caller, id);
  if (!img.ok()) return NotFound("Image with identifier " + id + " not found");
  return img;
}

// True when the caller holds a membership of `img` with can_share.
bool IsDelegate(ServiceContext& ctx, const Identity& caller, const wire::Image& img) {
  if (caller.project.empty()) return false;
  Result<wire::Member> self = ctx.catalog.GetMember(img.id, caller.project);
  return self.ok() && self->can_share;
}

// May the caller see every membership of `img` (and change them, given the role)?
bool MayManage(ServiceContext& ctx, const Identity& caller, const wire::Image& img) {
  return MayWrite(caller, img) || IsDelegate(ctx, caller, img);
}

// The image of a v1 sharing change: 404 unless visible, 403 unless the caller may
// manage its memberships (owner, admin or delegate, with role member).
Result<wire::Image> LoadShareable(ServiceContext& ctx, const Identity& caller,
                                  const std::string& id) {
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadV1Image(ctx, caller, id));
  if (!MayManage(ctx, caller, img) || !RequireMemberRole(caller, "modify_member").ok()) {
    return PermissionDenied("No permission to share that image");
  }
  return img;
}

Status RequireShared(const wire::Image& img) {
  if (img.visibility == wire::Visibility::kShared) return Status::Ok();
  return PermissionDenied("Only shared images have members (image visibility is " +
                          std::string(wire::ToString(img.visibility)) + ").");
}

Status BadMembership(std::string_view why) {
  return InvalidArgument("Invalid membership association: " + std::string(why));
}

// The optional body of PUT .../members/{member}: parsed JSON, or null for none. As in
// Glance, an empty body, `null` and `{}` all mean "no body".
Result<json::value> OptionalBody(ServiceContext& ctx, http::Request& req) {
  if (!req.body->present()) return json::value(nullptr);
  IMAGEFS_ASSIGN_OR_RETURN(std::string text, req.body->ReadAll(ctx.config.max_json_body));
  if (text.empty()) return json::value(nullptr);
  Result<json::value> v = wire::ParseJson(text);
  if (!v.ok()) return InvalidArgument("Malformed JSON in request body.");
  return v;
}

// can_share of {"member": {"can_share": bool}}; nullopt without a body or without
// can_share in the member object (tempest sends {"member": {}}): new memberships
// then default to false and existing ones keep theirs, as Glance's v1 registry did.
// A body without a member object is 400; unlike Glance (Python's bool() of
// anything), a given value must be a JSON boolean: "false" is not quietly true.
Result<std::optional<bool>> CanShareOf(const json::value& body) {
  if (body.is_null() || (body.is_object() && body.get_object().empty())) {
    return std::optional<bool>();
  }
  const json::value* member = body.is_object() ? body.get_object().if_contains("member") : nullptr;
  if (member == nullptr || !member->is_object()) {
    return BadMembership("expected {\"member\": {\"can_share\": true|false}}");
  }
  const json::value* cs = member->get_object().if_contains("can_share");
  if (cs == nullptr) return std::optional<bool>();
  if (!cs->is_bool()) {
    return BadMembership("\"can_share\" must be true or false");
  }
  return std::optional<bool>(cs->get_bool());
}

Status CheckQuota(const ServiceContext& ctx, size_t count) {
  int quota = ctx.config.image_member_quota;
  if (quota >= 0 && count > static_cast<size_t>(quota)) {
    return ResourceExhausted("The limit has been exceeded on the number of allowed image "
                             "members for this image. Attempted: " +
                             std::to_string(count) + ", Maximum: " + std::to_string(quota));
  }
  return Status::Ok();
}

json::object V1Member(const wire::Member& m) {
  return json::object{{"member_id", m.member_id}, {"can_share", m.can_share}};
}

Result<http::Response> ListMembers(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadV1Image(ctx, req.identity, id));
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> members, ctx.catalog.ListMembers(id));
  bool all = MayManage(ctx, req.identity, img);
  json::array out;
  for (const auto& m : members) {
    if (all || m.member_id == req.identity.project) out.emplace_back(V1Member(m));
  }
  return JsonResponse(200, json::object{{"members", std::move(out)}});
}

Result<http::Response> AddMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, OptionalBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadShareable(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(RequireShared(img));
  IMAGEFS_ASSIGN_OR_RETURN(std::optional<bool> can_share, CanShareOf(body));
  if (member_id.size() > 255) return BadMembership("member id longer than 255 characters");
  int64_t now = ctx.clock.WallMicros();
  Result<wire::Member> updated =
      ctx.catalog.UpdateMember(id, member_id, [&](wire::Member& m) -> Status {
        if (can_share && *can_share != m.can_share) {
          m.can_share = *can_share;
          m.updated_at = now;
        }
        return Status::Ok();
      });
  if (updated.ok()) return http::Response::Empty(204);
  if (updated.status().code() != StatusCode::kNotFound) return updated.status();
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> members, ctx.catalog.ListMembers(id));
  IMAGEFS_RETURN_IF_ERROR(CheckQuota(ctx, members.size() + 1));
  wire::Member m;
  m.image_id = id;
  m.member_id = member_id;
  m.can_share = can_share.value_or(false);
  m.created_at = m.updated_at = now;
  Status added = ctx.catalog.AddMember(m);
  // Lost a race with another add of the same member: it exists, which is the goal.
  if (added.code() == StatusCode::kAlreadyExists) return http::Response::Empty(204);
  IMAGEFS_RETURN_IF_ERROR(added);
  return http::Response::Empty(204);
}

// The complete membership list of {"memberships": [{"member_id", "can_share"?}]}.
// Members already present keep their v2 status, created_at and (without a
// can_share) their can_share; new ones start pending with can_share false.
Result<std::vector<wire::Member>> Memberships(ServiceContext& ctx, const json::value& body,
                                              const std::string& id) {
  const json::value* list = body.is_object() ? body.get_object().if_contains("memberships") : nullptr;
  if (list == nullptr || !list->is_array()) return BadMembership("expected {\"memberships\": [...]}");
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> existing, ctx.catalog.ListMembers(id));
  std::vector<wire::Member> out;
  int64_t now = ctx.clock.WallMicros();
  for (const json::value& e : list->get_array()) {
    const json::value* mid = e.is_object() ? e.get_object().if_contains("member_id") : nullptr;
    if (mid == nullptr || !mid->is_string() || mid->get_string().empty() ||
        mid->get_string().size() > 255) {
      return BadMembership("every membership needs a \"member_id\" string");
    }
    wire::Member m;
    m.image_id = id;
    m.member_id = std::string(mid->get_string());
    m.created_at = m.updated_at = now;
    for (const auto& old : existing) {
      if (old.member_id == m.member_id) m = old;
    }
    if (const json::value* cs = e.get_object().if_contains("can_share")) {
      if (!cs->is_bool()) return BadMembership("\"can_share\" must be true or false");
      if (m.can_share != cs->get_bool()) {
        m.can_share = cs->get_bool();
        m.updated_at = now;
      }
    }
    for (const auto& seen : out) {
      if (seen.member_id == m.member_id) return BadMembership(m.member_id + " is listed twice");
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<http::Response> ReplaceMembers(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadShareable(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(RequireShared(img));
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> members, Memberships(ctx, body, id));
  IMAGEFS_RETURN_IF_ERROR(CheckQuota(ctx, members.size()));
  IMAGEFS_RETURN_IF_ERROR(ctx.catalog.ReplaceMembers(id, members));
  return http::Response::Empty(204);
}

Result<http::Response> DeleteMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  IMAGEFS_RETURN_IF_ERROR(LoadShareable(ctx, req.identity, id).status());
  Status s = ctx.catalog.RemoveMember(id, member_id);
  if (s.code() == StatusCode::kNotFound) {
    return NotFound(member_id + " is not a member of image " + id);
  }
  IMAGEFS_RETURN_IF_ERROR(s);
  return http::Response::Empty(204);
}

Result<http::Response> SharedImages(ServiceContext& ctx, http::Request& req) {
  const std::string& member_id = req.path_params[0];
  const Identity& caller = req.identity;
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> memberships,
                           ctx.catalog.ListMembershipsOf(member_id));
  json::array out;
  for (const auto& m : memberships) {
    Result<wire::Image> img = LoadVisibleImage(ctx, caller, m.image_id);
    if (!img.ok() || img->visibility != wire::Visibility::kShared) continue;
    if (!MayWrite(caller, *img) && member_id != caller.project) continue;
    out.emplace_back(json::object{{"image_id", m.image_id}, {"can_share", m.can_share}});
  }
  return JsonResponse(200, json::object{{"shared_images", std::move(out)}});
}

}  // namespace

void AddMembersV1Routes(http::Router& router, ServiceContext& ctx) {
  auto add = [&](std::string_view method, std::string_view pattern, bool reject_body,
                 Result<http::Response> (*fn)(ServiceContext&, http::Request&)) {
    http::RouteOptions o;
    o.reject_body = reject_body;
    o.name = std::string(method) + " " + std::string(pattern);
    router.Add(method, pattern, [&ctx, fn](http::Request& r) { return fn(ctx, r); }, o);
  };
  add("GET", "/v1/images/{image_id}/members", true, ListMembers);
  add("PUT", "/v1/images/{image_id}/members", false, ReplaceMembers);
  add("PUT", "/v1/images/{image_id}/members/{member_id}", false, AddMember);
  add("DELETE", "/v1/images/{image_id}/members/{member_id}", true, DeleteMember);
  add("GET", "/v1/shared-images/{member_id}", true, SharedImages);
}

}  // namespace imagefs::service::api
