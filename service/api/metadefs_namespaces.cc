// /v2/metadefs/namespaces[/{namespace}], /v2/metadefs/resource_types and the
// namespaces' resource type associations (metadefs.h).
#include <set>

#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/metadefs.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

// Stored keys that are not rendered in a namespace list entry.
constexpr const char* kChildren[] = {"objects", "properties", "tags"};

json::object Render(const json::object& stored, bool with_children) {
  json::object out = stored;
  std::string name(stored.at("namespace").get_string());
  if (!with_children) {
    for (const char* k : kChildren) out.erase(k);
  }
  for (const char* k : kChildren) {
    const json::value* v = out.if_contains(k);
    if (v != nullptr && ((v->is_array() && v->get_array().empty()) ||
                         (v->is_object() && v->get_object().empty()))) {
      out.erase(k);
    }
  }
  out["self"] = "/v2/metadefs/namespaces/" + name;
  out["schema"] = "/v2/schemas/metadefs/namespace";
  return out;
}

// Copies the namespace's own fields from a create/update body into `ns`.
Status ApplyNamespaceFields(const json::object& body, const Identity& caller, json::object& ns) {
  const json::value* name = body.if_contains("namespace");
  if (name == nullptr || !name->is_string() || name->get_string().empty() ||
      name->get_string().size() > 80 || name->get_string().find('/') != json::string::npos) {
    return InvalidArgument(
        "Namespace name is required: 'namespace' must be a string of 1 to 80 "
        "characters without '/'.");
  }
  ns["namespace"] = *name;
  for (const char* k : {"display_name", "description"}) {
    if (const json::value* v = body.if_contains(k)) {
      if (!v->is_string()) return InvalidArgument(std::string("'") + k + "' must be a string.");
      ns[k] = *v;
    }
  }
  if (const json::value* v = body.if_contains("visibility")) {
    if (!v->is_string() || (v->get_string() != "public" && v->get_string() != "private")) {
      return InvalidArgument("'visibility' must be one of public, private.");
    }
    ns["visibility"] = *v;
  }
  if (const json::value* v = body.if_contains("protected")) {
    if (!v->is_bool()) return InvalidArgument("'protected' must be a boolean.");
    ns["protected"] = *v;
  }
  if (const json::value* v = body.if_contains("owner"); v != nullptr && v->is_string()) {
    if (!caller.is_admin && v->get_string() != caller.project) {
      return PermissionDenied("Owner can't be set to another project by non admin.");
    }
    ns["owner"] = *v;
  }
  return Status::Ok();
}

json::object Association(const json::object& body, const std::string& now) {
  json::object a{{"name", body.at("name")}, {"created_at", now}, {"updated_at", now}};
  for (const char* k : {"prefix", "properties_target"}) {
    if (const json::value* v = body.if_contains(k); v != nullptr && v->is_string()) a[k] = *v;
  }
  return a;
}

Status CheckAssociationBody(const json::value& v) {
  const json::value* name = v.is_object() ? v.get_object().if_contains("name") : nullptr;
  if (name == nullptr || !name->is_string() || name->get_string().empty()) {
    return InvalidArgument("A resource type association needs a 'name'.");
  }
  return Status::Ok();
}

Result<http::Response> CreateNamespace(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(env.ctx, req));
  if (!body.is_object()) return InvalidArgument("The request body must be a JSON object.");
  std::string now = MetadefNow(env.ctx);
  json::object ns{{"visibility", "private"},
                  {"protected", false},
                  {"owner", req.identity.project},
                  {"created_at", now},
                  {"updated_at", now}};
  IMAGEFS_RETURN_IF_ERROR(ApplyNamespaceFields(body.get_object(), req.identity, ns));
  json::array assocs;
  if (const json::value* v = body.get_object().if_contains("resource_type_associations")) {
    if (!v->is_array()) return InvalidArgument("'resource_type_associations' must be a list.");
    for (const json::value& a : v->get_array()) {
      IMAGEFS_RETURN_IF_ERROR(CheckAssociationBody(a));
      assocs.push_back(Association(a.get_object(), now));
    }
  }
  ns["resource_type_associations"] = std::move(assocs);
  for (const char* k : kChildren) {
    const json::value* v = body.get_object().if_contains(k);
    bool is_map = std::string_view(k) == "properties";
    if (v != nullptr && (is_map ? v->is_object() : v->is_array())) {
      ns[k] = *v;
    } else {
      ns[k] = is_map ? json::value(json::object()) : json::value(json::array());
    }
  }
  IMAGEFS_RETURN_IF_ERROR(env.store.Create(ns));
  return JsonResponse(201, Render(ns, true));
}

Result<http::Response> ListNamespaces(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<json::object> all, env.store.List());
  std::optional<std::string_view> vis = req.QueryParam("visibility");
  std::optional<std::string_view> rtype = req.QueryParam("resource_types");
  json::array out;
  for (const json::object& ns : all) {
    bool is_public = ns.at("visibility").get_string() == "public";
    bool owns = ns.at("owner").is_string() && ns.at("owner").get_string() == req.identity.project;
    if (!is_public && !owns && !req.identity.is_admin) continue;
    if (vis && ns.at("visibility").get_string() != *vis) continue;
    if (rtype) {
      bool found = false;
      for (const auto& a : ns.at("resource_type_associations").get_array()) {
        found = found || a.at("name").get_string() == *rtype;
      }
      if (!found) continue;
    }
    out.push_back(Render(ns, false));
  }
  return JsonResponse(200, json::object{{"namespaces", std::move(out)},
                                        {"first", "/v2/metadefs/namespaces"},
                                        {"schema", "/v2/schemas/metadefs/namespaces"}});
}

Result<http::Response> ShowNamespace(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  return JsonResponse(200, Render(ns, true));
}

Result<http::Response> UpdateNamespace(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_RETURN_IF_ERROR(LoadNamespace(env, req).status());
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(env.ctx, req));
  if (!body.is_object()) return InvalidArgument("The request body must be a JSON object.");
  std::string now = MetadefNow(env.ctx);
  IMAGEFS_ASSIGN_OR_RETURN(
      json::object ns, env.store.Update(req.path_params[0], [&](json::object& stored) -> Status {
        IMAGEFS_RETURN_IF_ERROR(ApplyNamespaceFields(body.get_object(), req.identity, stored));
        stored["updated_at"] = now;
        return Status::Ok();
      }));
  return JsonResponse(200, Render(ns, false));
}

Result<http::Response> DeleteNamespace(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  if (ns.at("protected").as_bool()) {
    return PermissionDenied("Namespace " + req.path_params[0] +
                            " is a protected namespace and cannot be deleted.");
  }
  IMAGEFS_RETURN_IF_ERROR(env.store.Remove(req.path_params[0]));
  return http::Response::Empty(204);
}

Result<http::Response> ListResourceTypes(MetadefEnv& env, http::Request&) {
  std::set<std::string> names(BuiltinResourceTypes().begin(), BuiltinResourceTypes().end());
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<json::object> all, env.store.List());
  for (const json::object& ns : all) {
    for (const auto& a : ns.at("resource_type_associations").get_array()) {
      names.insert(std::string(a.at("name").get_string()));
    }
  }
  // Glance lists OS::Glance::Image first in a fresh deployment; keep the builtins'
  // order, then any others by name.
  json::array out;
  std::string epoch = "2014-08-28T17:13:06Z";  // Glance's seed date for its builtins
  for (const std::string& n : BuiltinResourceTypes()) {
    out.push_back(json::object{{"name", n}, {"created_at", epoch}, {"updated_at", epoch}});
    names.erase(n);
  }
  for (const std::string& n : names) {
    out.push_back(json::object{{"name", n}, {"created_at", epoch}, {"updated_at", epoch}});
  }
  return JsonResponse(200, json::object{{"resource_types", std::move(out)}});
}

Result<http::Response> ListAssociations(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  return JsonResponse(
      200, json::object{{"resource_type_associations", ns.at("resource_type_associations")}});
}

Result<http::Response> CreateAssociation(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_RETURN_IF_ERROR(LoadNamespace(env, req).status());
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(env.ctx, req));
  IMAGEFS_RETURN_IF_ERROR(CheckAssociationBody(body));
  json::object assoc = Association(body.get_object(), MetadefNow(env.ctx));
  IMAGEFS_RETURN_IF_ERROR(
      env.store
          .Update(req.path_params[0],
                  [&](json::object& ns) -> Status {
                    json::array& list = ns["resource_type_associations"].as_array();
                    for (const auto& a : list) {
                      if (a.at("name") == assoc.at("name")) {
                        return AlreadyExists(
                            "The resource type " + std::string(assoc.at("name").get_string()) +
                            " is already associated with namespace " + req.path_params[0]);
                      }
                    }
                    list.push_back(assoc);
                    return Status::Ok();
                  })
          .status());
  return JsonResponse(201, assoc);
}

Result<http::Response> DeleteAssociation(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_RETURN_IF_ERROR(LoadNamespace(env, req).status());
  const std::string& type = req.path_params[1];
  IMAGEFS_RETURN_IF_ERROR(
      env.store
          .Update(req.path_params[0],
                  [&](json::object& ns) -> Status {
                    json::array& list = ns["resource_type_associations"].as_array();
                    for (auto it = list.begin(); it != list.end(); ++it) {
                      if (it->at("name").get_string() == type) {
                        list.erase(it);
                        return Status::Ok();
                      }
                    }
                    return NotFound("The resource type association of " + type +
                                    " with namespace " + req.path_params[0] + " was not found.");
                  })
          .status());
  return http::Response::Empty(204);
}

}  // namespace

void AddMetadefNamespaceRoutes(http::Router& router, const MetadefEnvPtr& env) {
  auto add = [&](std::string_view method, std::string pattern, bool reject_body,
                 Result<http::Response> (*fn)(MetadefEnv&, http::Request&)) {
    http::RouteOptions o;
    o.name = std::string(method) + " " + pattern;
    o.reject_body = reject_body;
    router.Add(
        method, pattern, [env, fn](http::Request& r) { return fn(*env, r); }, o);
  };
  const std::string ns = "/v2/metadefs/namespaces/{namespace}";
  add("GET", "/v2/metadefs/namespaces", true, ListNamespaces);
  add("POST", "/v2/metadefs/namespaces", false, CreateNamespace);
  add("GET", ns, true, ShowNamespace);
  add("PUT", ns, false, UpdateNamespace);
  add("DELETE", ns, true, DeleteNamespace);
  add("GET", "/v2/metadefs/resource_types", true, ListResourceTypes);
  add("GET", ns + "/resource_types", true, ListAssociations);
  add("POST", ns + "/resource_types", false, CreateAssociation);
  add("DELETE", ns + "/resource_types/{resource_type}", true, DeleteAssociation);
}

}  // namespace imagefs::service::api
