// Image members, Images API v2 (spec 1.5.11): an owner shares a `shared` image with
// other projects; each member project accepts or rejects it.
#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/images_v2.h"
#include "service/api/routes.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

bool IsShared(const wire::Image& img) { return img.visibility == wire::Visibility::kShared; }

std::string Refusal(std::string_view verb, const std::string& id) {
  return "Not allowed to " + std::string(verb) + " members for image " + id + ".";
}

// The image for a members call, or "Image <id> not found." (404) when invisible.
Result<wire::Image> LoadForMembers(ServiceContext& ctx, const Identity& caller,
                                   const std::string& id) {
  Result<wire::Image> img = LoadVisibleImage(ctx, caller, id);
  if (!img.ok()) return NotFound("Image " + id + " not found.");
  return img;
}

Result<std::string> MemberFromBody(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  if (!body.is_object()) return InvalidArgument("Request body must be a JSON object.");
  auto it = body.get_object().find("member");
  if (it == body.get_object().end()) return InvalidArgument("Member to be added not specified");
  if (!it->value().is_string() || it->value().get_string().empty()) {
    return InvalidArgument("Member to be added must be a non-empty string");
  }
  if (it->value().get_string().size() > 255) {
    return InvalidArgument("Member to be added is longer than 255 characters");
  }
  return std::string(it->value().get_string());
}

Result<wire::MemberStatus> StatusFromBody(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  Status bad = InvalidArgument("Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\".");
  if (!body.is_object()) return bad;
  auto it = body.get_object().find("status");
  if (it == body.get_object().end() || !it->value().is_string()) return bad;
  auto st = wire::ParseMemberStatus(std::string_view(it->value().get_string()));
  if (!st) return bad;
  return *st;
}

Result<http::Response> AddMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(std::string member_id, MemberFromBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadForMembers(ctx, req.identity, id));
  if (!MayWrite(req.identity, img) || !RequireMemberRole(req.identity, "add_member").ok()) {
    return PermissionDenied(Refusal("create", id));
  }
  if (!IsShared(img)) return PermissionDenied(Refusal("create", id) + " Only shared images have members.");
  int quota = ctx.config.image_member_quota;
  if (quota >= 0) {
    IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> existing, ctx.catalog.ListMembers(id));
    if (existing.size() >= static_cast<size_t>(quota)) {
      return ResourceExhausted("Maximum number of members (" + std::to_string(quota) +
                               ") exceeded for image " + id + ".");
    }
  }
  wire::Member m;
  m.image_id = id;
  m.member_id = member_id;
  m.created_at = m.updated_at = ctx.clock.WallMicros();
  Status added = ctx.catalog.AddMember(m);
  if (added.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("Member " + member_id + " is duplicated for image " + id);
  }
  IMAGEFS_RETURN_IF_ERROR(added);
  return JsonResponse(200, wire::ToV2Json(m));
}

Result<http::Response> ListMembers(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadForMembers(ctx, req.identity, id));
  if (!IsShared(img)) {
    return PermissionDenied("Not allowed to list members for image " + id +
                            ": Only shared images have members.");
  }
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> members, ctx.catalog.ListMembers(id));
  bool owner = MayWrite(req.identity, img);
  json::array out;
  for (const auto& m : members) {
    if (owner || m.member_id == req.identity.project) out.emplace_back(wire::ToV2Json(m));
  }
  return JsonResponse(200, json::object{{"members", std::move(out)}, {"schema", "/v2/schemas/members"}});
}

Result<http::Response> ShowMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  Status not_found =
      NotFound(member_id + " not found in the member list of the image " + id + ".");
  Result<wire::Image> img = LoadVisibleImage(ctx, req.identity, id);
  // Every refusal of this call is a 404 (spec 6.1 item 9).
  if (!img.ok() || !IsShared(*img)) return not_found;
  if (!MayWrite(req.identity, *img) && member_id != req.identity.project) return not_found;
  Result<wire::Member> m = ctx.catalog.GetMember(id, member_id);
  if (!m.ok()) return not_found;
  return JsonResponse(200, wire::ToV2Json(*m));
}

Result<http::Response> UpdateMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  IMAGEFS_ASSIGN_OR_RETURN(wire::MemberStatus status, StatusFromBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadForMembers(ctx, req.identity, id));
  if (!IsShared(img)) return PermissionDenied(Refusal("update", id) + " Only shared images have members.");
  if (!req.identity.is_admin && member_id != req.identity.project) {
    return PermissionDenied(Refusal("update", id));
  }
  int64_t now = ctx.clock.WallMicros();
  Result<wire::Member> m =
      ctx.catalog.UpdateMember(id, member_id, [&](wire::Member& mem) -> Status {
        mem.status = status;
        mem.updated_at = now;
        return Status::Ok();
      });
  if (m.status().code() == StatusCode::kNotFound) {
    return NotFound(member_id + " not found in the member list of the image " + id + ".");
  }
  IMAGEFS_RETURN_IF_ERROR(m.status());
  return JsonResponse(200, wire::ToV2Json(*m));
}

Result<http::Response> DeleteMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadForMembers(ctx, req.identity, id));
  if (!MayWrite(req.identity, img) || !RequireMemberRole(req.identity, "delete_member").ok()) {
    return PermissionDenied(Refusal("delete", id));
  }
  if (!IsShared(img)) return PermissionDenied(Refusal("delete", id) + " Only shared images have members.");
  Status s = ctx.catalog.RemoveMember(id, member_id);
  if (s.code() == StatusCode::kNotFound) {
    return NotFound(member_id + " not found in the member list of the image " + id + ".");
  }
  IMAGEFS_RETURN_IF_ERROR(s);
  return http::Response::Empty(204);
}

void Add(http::Router& router, ServiceContext& ctx, std::string_view method,
         std::string_view pattern,
         Result<http::Response> (*fn)(ServiceContext&, http::Request&), bool reject_body) {
  http::RouteOptions o;
  o.reject_body = reject_body;
  o.name = std::string(method) + " " + std::string(pattern);
  router.Add(method, pattern, [&ctx, fn](http::Request& req) { return fn(ctx, req); }, o);
}

}  // namespace

void AddMemberRoutes(http::Router& router, ServiceContext& ctx) {
  Add(router, ctx, "POST", "/v2/images/{image_id}/members", AddMember, false);
  Add(router, ctx, "GET", "/v2/images/{image_id}/members", ListMembers, true);
  Add(router, ctx, "GET", "/v2/images/{image_id}/members/{member_id}", ShowMember, true);
  Add(router, ctx, "PUT", "/v2/images/{image_id}/members/{member_id}", UpdateMember, false);
  Add(router, ctx, "DELETE", "/v2/images/{image_id}/members/{member_id}", DeleteMember, true);
}

}  // namespace imagefs::service::api
