// Image members, Images API v2 (spec 1.5.11): an owner shares a `shared` image with
// other projects; each member project accepts or rejects it.
//
// The checks run in the reference server's order (glance/api/v2/image_members.py),
// so a request that breaks several rules gets the same answer as from Glance: body
// shape (before anything is looked up), image lookup (404 for an image the caller
// may not see, exactly as for one that does not exist), visibility and ownership
// (403), the membership lookup (404; a member never sees another member's row), and
// only then the value of `status` (400).
#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/images_v2.h"
#include "service/api/routes.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

bool IsShared(const wire::Image& img) { return img.visibility == wire::Visibility::kShared; }

bool IsOwner(const Identity& caller, const wire::Image& img) {
  return img.owner && !caller.project.empty() && *img.owner == caller.project;
}

std::string Refusal(std::string_view verb, const std::string& id) {
  return "Not allowed to " + std::string(verb) + " members for image " + id + ".";
}

Status NoSuchMember(const std::string& member_id, const std::string& id) {
  return NotFound(member_id + " not found in the member list of the image " + id + ".");
}

// The image of a members call, or "Image <id> not found." (404) when it does not
// exist or the caller may not see it.
Result<wire::Image> LoadForMembers(ServiceContext& ctx, const Identity& caller,
                                   const std::string& id) {
  Result<wire::Image> img = LoadVisibleImage(ctx, caller, id);
  if (!img.ok()) return NotFound("Image " + id + " not found.");
  return img;
}

// The JSON object of a members request body. Glance's deserializer answers a scalar
// body with "Unexpected body type" and a list with the call's own `form` message.
Result<json::object> BodyObject(ServiceContext& ctx, http::Request& req, std::string_view form) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(ctx, req));
  if (body.is_array()) return InvalidArgument(std::string(form));
  if (!body.is_object()) return InvalidArgument("Unexpected body type. Expected list/dict.");
  return std::move(body.get_object());
}

// {"member": "<project>"}. Glance also takes a number (stored as its decimal text);
// a list or object, which Glance fails on with a 500, is a 400 here.
Result<std::string> MemberFromBody(ServiceContext& ctx, http::Request& req) {
  constexpr std::string_view kForm = "Expected a member in the form: {\"member\": \"image_id\"}";
  IMAGEFS_ASSIGN_OR_RETURN(json::object body, BodyObject(ctx, req, kForm));
  auto it = body.find("member");
  if (it == body.end()) return InvalidArgument("Member to be added not specified");
  const json::value& v = it->value();
  bool empty = v.is_null() || (v.is_string() && v.get_string().empty()) ||
               (v.is_bool() && !v.get_bool()) || (v.is_int64() && v.get_int64() == 0) ||
               (v.is_uint64() && v.get_uint64() == 0);
  if (empty) return InvalidArgument("Member can't be empty");
  std::string member;
  if (v.is_string()) {
    member = std::string(v.get_string());
  } else if (v.is_int64()) {
    member = std::to_string(v.get_int64());
  } else if (v.is_uint64()) {
    member = std::to_string(v.get_uint64());
  } else {
    return InvalidArgument(std::string(kForm));
  }
  if (member.size() > 255) return InvalidArgument("Member can't be longer than 255 characters");
  return member;
}

// The raw `status` of {"status": "..."}; its value is checked later, as Glance does.
Result<json::value> StatusFromBody(ServiceContext& ctx, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(
      json::object body, BodyObject(ctx, req, "Expected a status in the form: {\"status\": \"status\"}"));
  auto it = body.find("status");
  if (it == body.end()) return InvalidArgument("Status not specified");
  return it->value();
}

Result<wire::MemberStatus> ParseStatus(const json::value& v) {
  std::optional<wire::MemberStatus> st;
  if (v.is_string()) st = wire::ParseMemberStatus(std::string_view(v.get_string()));
  if (!st) {
    return InvalidArgument(
        "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\".");
  }
  return *st;
}

Status CheckMemberQuota(ServiceContext& ctx, const std::string& id) {
  int quota = ctx.config.image_member_quota;
  if (quota < 0) return Status::Ok();
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<wire::Member> existing, ctx.catalog.ListMembers(id));
  if (existing.size() < static_cast<size_t>(quota)) return Status::Ok();
  return ResourceExhausted("Image member limit exceeded for image " + id +
                           ": The limit has been exceeded on the number of allowed image "
                           "members for this image. Attempted: " +
                           std::to_string(existing.size() + 1) +
                           ", Maximum: " + std::to_string(quota) + ":");
}

Result<http::Response> AddMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(std::string member_id, MemberFromBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadForMembers(ctx, req.identity, id));
  if (!IsShared(img) || !MayWrite(req.identity, img)) {
    return PermissionDenied(Refusal("create", id));
  }
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "add_member"));
  IMAGEFS_RETURN_IF_ERROR(CheckMemberQuota(ctx, id));
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
  // The owner (and admin) sees every member, a member only its own row.
  bool all = MayWrite(req.identity, img);
  json::array out;
  for (const auto& m : members) {
    if (all || m.member_id == req.identity.project) out.emplace_back(wire::ToV2Json(m));
  }
  return JsonResponse(200,
                      json::object{{"members", std::move(out)}, {"schema", "/v2/schemas/members"}});
}

// The membership `member_id` as the caller may see it: owner and admin see every
// row, anyone else only its own (another member's row is "not found", as in Glance).
Result<wire::Member> LookupMember(ServiceContext& ctx, const Identity& caller,
                                  const wire::Image& img, const std::string& member_id) {
  if (!MayWrite(caller, img) && member_id != caller.project) {
    return NoSuchMember(member_id, img.id);
  }
  Result<wire::Member> m = ctx.catalog.GetMember(img.id, member_id);
  if (!m.ok()) return NoSuchMember(member_id, img.id);
  return m;
}

Result<http::Response> ShowMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadForMembers(ctx, req.identity, id));
  // Every refusal of this call is a 404 (spec 6.1 item 9).
  if (!IsShared(img)) return NotFound("Only shared images have members.");
  IMAGEFS_ASSIGN_OR_RETURN(wire::Member m,
                           LookupMember(ctx, req.identity, img, req.path_params[1]));
  return JsonResponse(200, wire::ToV2Json(m));
}

Result<http::Response> UpdateMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  IMAGEFS_ASSIGN_OR_RETURN(json::value raw_status, StatusFromBody(ctx, req));
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadForMembers(ctx, req.identity, id));
  // Only the member answers; the owner may not (admin may do either).
  if (!IsShared(img) || (!req.identity.is_admin && IsOwner(req.identity, img))) {
    return PermissionDenied(Refusal("update", id));
  }
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "modify_member"));
  IMAGEFS_RETURN_IF_ERROR(LookupMember(ctx, req.identity, img, member_id).status());
  IMAGEFS_ASSIGN_OR_RETURN(wire::MemberStatus status, ParseStatus(raw_status));
  int64_t now = ctx.clock.WallMicros();
  Result<wire::Member> m =
      ctx.catalog.UpdateMember(id, member_id, [&](wire::Member& mem) -> Status {
        mem.status = status;
        mem.updated_at = now;
        return Status::Ok();
      });
  if (m.status().code() == StatusCode::kNotFound) return NoSuchMember(member_id, id);
  IMAGEFS_RETURN_IF_ERROR(m.status());
  return JsonResponse(200, wire::ToV2Json(*m));
}

Result<http::Response> DeleteMember(ServiceContext& ctx, http::Request& req) {
  const std::string& id = req.path_params[0];
  const std::string& member_id = req.path_params[1];
  IMAGEFS_ASSIGN_OR_RETURN(wire::Image img, LoadForMembers(ctx, req.identity, id));
  if (!IsShared(img) || !MayWrite(req.identity, img)) {
    return PermissionDenied(Refusal("delete", id));
  }
  IMAGEFS_RETURN_IF_ERROR(RequireMemberRole(req.identity, "delete_member"));
  Status s = ctx.catalog.RemoveMember(id, member_id);
  if (s.code() == StatusCode::kNotFound) return NoSuchMember(member_id, id);
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
  // Registration order is the order of the 405's Allow header (Glance: "GET, POST").
  Add(router, ctx, "GET", "/v2/images/{image_id}/members", ListMembers, true);
  Add(router, ctx, "POST", "/v2/images/{image_id}/members", AddMember, false);
  Add(router, ctx, "GET", "/v2/images/{image_id}/members/{member_id}", ShowMember, true);
  Add(router, ctx, "PUT", "/v2/images/{image_id}/members/{member_id}", UpdateMember, false);
  Add(router, ctx, "DELETE", "/v2/images/{image_id}/members/{member_id}", DeleteMember, true);
}

}  // namespace imagefs::service::api
