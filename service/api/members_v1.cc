// Images API v1 sharing (spec 2.5): memberships with can_share, on the same member
// records as v2. A membership made through v1 starts `pending` in v2 terms, as in
// Glance: the member project still accepts it before v2 default lists show it
// (v1 lists show shared images whatever the member's answer). docs/api.md.
#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/images_v1.h"
#include "service/api/images_v2.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

// The image of a v1 sharing call, and whether the caller may change its members:
// admin, owner, or a member holding can_share.
Result<wire::Image> LoadShareable(ServiceContext& ctx, const Identity& caller,
                                  const std::string& id) {
  Result<wire::Image> img = LoadVisibleImage(ctx, caller, id);
  if (!img.ok()) return NotFound("Image with identifier " + id + " not found");
  if (MayWrite(caller, *img) && RequireMemberRole(caller, "share").ok()) return img;
  Result<wire::Member> self = ctx.catalog.GetMember(id, caller.project);
  if (self.ok() && self->can_share) return img;
  return PermissionDenied("No permission to share that image");
}

Status RequireShared(const wire::Image& img) {
  if (img.visibility == wire::Visibility::kShared) return Status::Ok();
  return PermissionDenied("Only shared images have members (image visibility is " +
                          std::string(wire::ToString(img.visibility)) + ").");
}

Result<std::optional<bool>> CanShareFromBody(ServiceContext& ctx, http::Request& req) {
  if (!req.body->present()) return std::optional<bool>();
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  Status bad = InvalidArgument("Expected a body {\"member\": {\"can_share\": true|false}}");
  if (!body.is_object()) return bad;
  auto m = body.get_object().find("member");
  if (m == body.get_object().end() || !m->value().is_object()) return bad;
  auto cs = m->value().get_object().find("can_share");
  if (cs == m->value().get_object().end()) return std::optional<bool>();
  if (!cs->value().is_bool()) return bad;
  return std::optional<bool>(cs->value().get_bool());
}

Status CheckQuota(const ServiceContext& ctx, size_t count) {
  int quota = ctx.config.image_member_quota;
  if (quota >= 0 && count > static_cast<size_t>(quota)) {
    return ResourceExhausted("Maximum number of members (" + std::to_string(quota) + ") exceeded.");
  }
  return Status::Ok();
}

Result<http::Response> ListMembers(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  Result<wire::Image> img = LoadVisibleImage(ctx, req.identity, id);
  if (!img.ok()) return NotFound("Image with identifier " + id + " not found");
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> members, ctx.catalog.ListMembers(id));
  json::array out;
  for (const auto& m : members) {
    out.emplace_back(json::object{{"member_id", m.member_id}, {"can_share", m.can_share}});
  }
  return JsonResponse(200, json::object{{"members", std::move(out)}});
}

Result<http::Response> AddMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  IMAGEFS_ASSIGN_OR_RETURN(std::optional<bool> can_share, CanShareFromBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadShareable(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(RequireShared(img));
  int64_t now = ctx.clock.WallMicros();
  Result<wire::Member> updated = ctx.catalog.UpdateMember(id, member_id, [&](wire::Member& m) -> Status {
    if (can_share) m.can_share = *can_share;
    m.updated_at = now;
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
  IMAGEFS_RETURN_IF_ERROR(ctx.catalog.AddMember(m));
  return http::Response::Empty(204);
}

Result<std::vector<wire::Member>> MembershipsFromBody(ServiceContext& ctx, http::Request& req,
                                                      const std::string& id) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  Status bad = InvalidArgument(
      "Expected a body {\"memberships\": [{\"member_id\": \"...\", \"can_share\": false}, ...]}");
  if (!body.is_object()) return bad;
  auto list = body.get_object().find("memberships");
  if (list == body.get_object().end() || !list->value().is_array()) return bad;
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> existing, ctx.catalog.ListMembers(id));
  std::vector<wire::Member> out;
  int64_t now = ctx.clock.WallMicros();
  for (const auto& e : list->value().get_array()) {
    if (!e.is_object()) return bad;
    auto mid = e.get_object().find("member_id");
    if (mid == e.get_object().end() || !mid->value().is_string() || mid->value().get_string().empty()) {
      return bad;
    }
    wire::Member m;
    m.image_id = id;
    m.member_id = std::string(mid->value().get_string());
    m.created_at = m.updated_at = now;
    for (const auto& old : existing) {
      if (old.member_id == m.member_id) m = old;  // keeps status, can_share, created_at
    }
    if (auto cs = e.get_object().find("can_share"); cs != e.get_object().end()) {
      if (!cs->value().is_bool()) return bad;
      m.can_share = cs->value().get_bool();
      m.updated_at = now;
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<http::Response> ReplaceMembers(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadShareable(ctx, req.identity, id));
  IMAGEFS_RETURN_IF_ERROR(RequireShared(img));
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> members, MembershipsFromBody(ctx, req, id));
  IMAGEFS_RETURN_IF_ERROR(CheckQuota(ctx, members.size()));
  IMAGEFS_RETURN_IF_ERROR(ctx.catalog.ReplaceMembers(id, members));
  return http::Response::Empty(204);
}

Result<http::Response> DeleteMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadShareable(ctx, req.identity, id));
  (void)img;
  Status s = ctx.catalog.RemoveMember(id, member_id);
  if (s.code() == StatusCode::kNotFound) {
    return NotFound("Membership of " + member_id + " in image " + id + " not found");
  }
  IMAGEFS_RETURN_IF_ERROR(s);
  return http::Response::Empty(204);
}

Result<http::Response> SharedImages(ServiceContext& ctx, http::Request& req) {
  const std::string& member_id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> memberships,
                           ctx.catalog.ListMembershipsOf(member_id));
  json::array out;
  for (const auto& m : memberships) {
    if (!LoadVisibleImage(ctx, req.identity, m.image_id).ok()) continue;
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
