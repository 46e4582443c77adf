// A namespace's objects, properties and tags (metadefs.h):
// /v2/metadefs/namespaces/{namespace}/{objects,properties,tags}[/{name}].
#include <boost/json.hpp>

#include "service/api/handler_util.h"
#include "service/api/metadefs.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

using Fn = Result<http::Response> (*)(MetadefEnv&, http::Request&);

Result<std::string> NameIn(const json::value& body) {
  const json::value* v = body.is_object() ? body.get_object().if_contains("name") : nullptr;
  if (v == nullptr || !v->is_string() || v->get_string().empty() || v->get_string().size() > 80) {
    return InvalidArgument("'name' is required: a string of 1 to 80 characters.");
  }
  return std::string(v->get_string());
}

Result<json::value> ReadObjectBody(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_RETURN_IF_ERROR(LoadNamespace(env, req).status());
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadJsonBody(env.ctx, req));
  if (!body.is_object()) return InvalidArgument("The request body must be a JSON object.");
  return body;
}

json::array::iterator FindNamed(json::array& list, std::string_view name) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->at("name").get_string() == name) return it;
  }
  return list.end();
}

// Objects and tags are each kept as a list of JSON objects named by "name" under one
// member of the namespace; a ListedItem says which, and how its NotFound reads.
struct ListedItem {
  const char* member;  // "objects" or "tags"
  Status (*not_found)(const std::string& name, const std::string& ns);
};

// The item named path_params[1] in `kind`'s list of `ns`, or kind's NotFound.
Result<json::array::iterator> FindPathItem(json::object& ns, const ListedItem& kind,
                                           const http::Request& req) {
  json::array& list = ns[kind.member].as_array();
  auto it = FindNamed(list, req.path_params[1]);
  if (it == list.end()) return kind.not_found(req.path_params[1], req.path_params[0]);
  return it;
}

// DELETE .../{objects,tags}/{name}.
Result<http::Response> DeleteListedItem(MetadefEnv& env, http::Request& req,
                                        const ListedItem& kind) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_RETURN_IF_ERROR(LoadNamespace(env, req).status());
  IMAGEFS_RETURN_IF_ERROR(env.store
                              .Update(req.path_params[0],
                                      [&](json::object& ns) -> Status {
                                        IMAGEFS_ASSIGN_OR_RETURN(auto it,
                                                                 FindPathItem(ns, kind, req));
                                        ns[kind.member].as_array().erase(it);
                                        return Status::Ok();
                                      })
                              .status());
  return http::Response::Empty(204);
}

// --- objects: a list of {name, description, required, properties, ...} ---

json::object RenderObject(const std::string& ns, json::object o) {
  o["self"] =
      "/v2/metadefs/namespaces/" + ns + "/objects/" + std::string(o.at("name").get_string());
  o["schema"] = "/v2/schemas/metadefs/object";
  return o;
}

Status ObjectNotFound(const std::string& name, const std::string& ns) {
  return NotFound("Metadata definition object not found for namespace=" + ns +
                  " and object name=" + name + ".");
}

constexpr ListedItem kObjects{"objects", ObjectNotFound};

Result<http::Response> ListObjects(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  json::array out;
  for (const auto& o : ns["objects"].as_array())
    out.push_back(RenderObject(req.path_params[0], o.get_object()));
  return JsonResponse(
      200, json::object{{"objects", std::move(out)}, {"schema", "/v2/schemas/metadefs/objects"}});
}

Result<http::Response> ShowObject(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  IMAGEFS_ASSIGN_OR_RETURN(auto it, FindPathItem(ns, kObjects, req));
  return JsonResponse(200, RenderObject(req.path_params[0], it->get_object()));
}

// Create (no path name) or replace (path_params[1]) one object.
Result<http::Response> PutObject(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadObjectBody(env, req));
  IMAGEFS_ASSIGN_OR_RETURN(std::string name, NameIn(body));
  bool create = req.path_params.size() < 2;
  std::string now = MetadefNow(env.ctx);
  json::object obj = body.get_object();
  obj.erase("self");
  obj.erase("schema");
  if (!obj.contains("required")) obj["required"] = json::array();
  if (!obj.contains("properties")) obj["properties"] = json::object();
  obj["updated_at"] = now;
  IMAGEFS_RETURN_IF_ERROR(
      env.store
          .Update(req.path_params[0],
                  [&](json::object& ns) -> Status {
                    json::array& list = ns["objects"].as_array();
                    auto old = create ? list.end() : FindNamed(list, req.path_params[1]);
                    if (!create && old == list.end())
                      return ObjectNotFound(req.path_params[1], req.path_params[0]);
                    auto clash = FindNamed(list, name);
                    if (clash != list.end() && clash != old) {
                      return AlreadyExists("A metadata definition object with name=" + name +
                                           " already exists in namespace=" + req.path_params[0] +
                                           ".");
                    }
                    obj["created_at"] = create ? json::value(now) : old->at("created_at");
                    if (create) {
                      list.push_back(obj);
                    } else {
                      *old = obj;
                    }
                    return Status::Ok();
                  })
          .status());
  return JsonResponse(create ? 201 : 200, RenderObject(req.path_params[0], obj));
}

Result<http::Response> DeleteObject(MetadefEnv& env, http::Request& req) {
  return DeleteListedItem(env, req, kObjects);
}

// --- properties: a map name -> {title, type, ...} ---

Status PropertyNotFound(const std::string& name, const std::string& ns) {
  return NotFound("Metadata definition property not found for namespace=" + ns +
                  " and property name=" + name + ".");
}

Result<http::Response> ListProperties(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  return JsonResponse(200, json::object{{"properties", ns["properties"]}});
}

Result<http::Response> ShowProperty(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  const json::value* p = ns["properties"].as_object().if_contains(req.path_params[1]);
  if (p == nullptr) return PropertyNotFound(req.path_params[1], req.path_params[0]);
  json::object out = p->get_object();
  out["name"] = req.path_params[1];
  return JsonResponse(200, out);
}

Result<http::Response> PutProperty(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadObjectBody(env, req));
  IMAGEFS_ASSIGN_OR_RETURN(std::string name, NameIn(body));
  const json::value* type = body.get_object().if_contains("type");
  const json::value* title = body.get_object().if_contains("title");
  if (type == nullptr || !type->is_string() || title == nullptr || !title->is_string()) {
    return InvalidArgument("A property needs a 'title' and a 'type'.");
  }
  bool create = req.path_params.size() < 2;
  json::object def = body.get_object();
  def.erase("name");
  IMAGEFS_RETURN_IF_ERROR(
      env.store
          .Update(req.path_params[0],
                  [&](json::object& ns) -> Status {
                    json::object& props = ns["properties"].as_object();
                    if (!create && !props.contains(req.path_params[1])) {
                      return PropertyNotFound(req.path_params[1], req.path_params[0]);
                    }
                    if (props.contains(name) && (create || name != req.path_params[1])) {
                      return AlreadyExists("A metadata definition property with name=" + name +
                                           " already exists in namespace=" + req.path_params[0] +
                                           ".");
                    }
                    if (!create) props.erase(req.path_params[1]);
                    props[name] = def;
                    return Status::Ok();
                  })
          .status());
  def["name"] = name;
  return JsonResponse(create ? 201 : 200, def);
}

Result<http::Response> DeleteProperty(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_RETURN_IF_ERROR(LoadNamespace(env, req).status());
  IMAGEFS_RETURN_IF_ERROR(
      env.store
          .Update(req.path_params[0],
                  [&](json::object& ns) -> Status {
                    if (ns["properties"].as_object().erase(req.path_params[1]) == 0) {
                      return PropertyNotFound(req.path_params[1], req.path_params[0]);
                    }
                    return Status::Ok();
                  })
          .status());
  return http::Response::Empty(204);
}

// --- tags: a list of {name, created_at, updated_at} ---

Status TagNotFound(const std::string& name, const std::string& ns) {
  return NotFound("Metadata definition tag not found for namespace=" + ns +
                  " and tag name=" + name + ".");
}

Status TagExists(const std::string& name, const std::string& ns) {
  return AlreadyExists("A metadata tag with name=" + name + " already exists in namespace=" + ns +
                       ".");
}

constexpr ListedItem kTags{"tags", TagNotFound};

Result<http::Response> ListTags(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  return JsonResponse(200, json::object{{"tags", ns["tags"]}});
}

Result<http::Response> ShowTag(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, LoadNamespace(env, req));
  IMAGEFS_ASSIGN_OR_RETURN(auto it, FindPathItem(ns, kTags, req));
  return JsonResponse(200, *it);
}

// POST .../tags/{tag}: one new tag, no body needed.
Result<http::Response> CreateTag(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_RETURN_IF_ERROR(LoadNamespace(env, req).status());
  std::string now = MetadefNow(env.ctx);
  json::object tag{{"name", req.path_params[1]}, {"created_at", now}, {"updated_at", now}};
  IMAGEFS_RETURN_IF_ERROR(env.store
                              .Update(req.path_params[0],
                                      [&](json::object& ns) -> Status {
                                        json::array& list = ns["tags"].as_array();
                                        if (FindNamed(list, req.path_params[1]) != list.end()) {
                                          return TagExists(req.path_params[1], req.path_params[0]);
                                        }
                                        list.push_back(tag);
                                        return Status::Ok();
                                      })
                              .status());
  return JsonResponse(201, tag);
}

// POST .../tags {"tags": [{"name": ...}, ...]}: replaces every tag.
Result<http::Response> ReplaceTags(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadObjectBody(env, req));
  const json::value* tags = body.get_object().if_contains("tags");
  if (tags == nullptr || !tags->is_array()) return InvalidArgument("'tags' must be a list.");
  std::string now = MetadefNow(env.ctx);
  json::array fresh;
  for (const json::value& t : tags->get_array()) {
    IMAGEFS_ASSIGN_OR_RETURN(std::string name, NameIn(t));
    if (FindNamed(fresh, name) != fresh.end()) return TagExists(name, req.path_params[0]);
    fresh.push_back(json::object{{"name", name}, {"created_at", now}, {"updated_at", now}});
  }
  IMAGEFS_RETURN_IF_ERROR(env.store
                              .Update(req.path_params[0],
                                      [&](json::object& ns) -> Status {
                                        ns["tags"] = fresh;
                                        return Status::Ok();
                                      })
                              .status());
  return JsonResponse(201, json::object{{"tags", fresh}});
}

Result<http::Response> RenameTag(MetadefEnv& env, http::Request& req) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value body, ReadObjectBody(env, req));
  IMAGEFS_ASSIGN_OR_RETURN(std::string name, NameIn(body));
  json::object out;
  IMAGEFS_RETURN_IF_ERROR(env.store
                              .Update(req.path_params[0],
                                      [&](json::object& ns) -> Status {
                                        json::array& list = ns["tags"].as_array();
                                        IMAGEFS_ASSIGN_OR_RETURN(auto it,
                                                                 FindPathItem(ns, kTags, req));
                                        auto clash = FindNamed(list, name);
                                        if (clash != list.end() && clash != it)
                                          return TagExists(name, req.path_params[0]);
                                        it->as_object()["name"] = name;
                                        it->as_object()["updated_at"] = MetadefNow(env.ctx);
                                        out = it->get_object();
                                        return Status::Ok();
                                      })
                              .status());
  return JsonResponse(200, out);
}

Result<http::Response> DeleteTag(MetadefEnv& env, http::Request& req) {
  return DeleteListedItem(env, req, kTags);
}

Result<http::Response> DeleteAllTags(MetadefEnv& env, http::Request& req) {
  IMAGEFS_RETURN_IF_ERROR(RequireMetadefAdmin(req.identity));
  IMAGEFS_RETURN_IF_ERROR(LoadNamespace(env, req).status());
  IMAGEFS_RETURN_IF_ERROR(env.store
                              .Update(req.path_params[0],
                                      [](json::object& ns) -> Status {
                                        ns["tags"] = json::array();
                                        return Status::Ok();
                                      })
                              .status());
  return http::Response::Empty(204);
}

}  // namespace

void AddMetadefItemRoutes(http::Router& router, const MetadefEnvPtr& env) {
  auto add = [&](std::string_view method, const std::string& pattern, bool reject_body, Fn fn) {
    http::RouteOptions o;
    o.name = std::string(method) + " " + pattern;
    o.reject_body = reject_body;
    router.Add(
        method, pattern, [env, fn](http::Request& r) { return fn(*env, r); }, o);
  };
  const std::string ns = "/v2/metadefs/namespaces/{namespace}";
  add("GET", ns + "/objects", true, ListObjects);
  add("POST", ns + "/objects", false, PutObject);
  add("GET", ns + "/objects/{object_name}", true, ShowObject);
  add("PUT", ns + "/objects/{object_name}", false, PutObject);
  add("DELETE", ns + "/objects/{object_name}", true, DeleteObject);
  add("GET", ns + "/properties", true, ListProperties);
  add("POST", ns + "/properties", false, PutProperty);
  add("GET", ns + "/properties/{property_name}", true, ShowProperty);
  add("PUT", ns + "/properties/{property_name}", false, PutProperty);
  add("DELETE", ns + "/properties/{property_name}", true, DeleteProperty);
  add("GET", ns + "/tags", true, ListTags);
  add("POST", ns + "/tags", false, ReplaceTags);
  add("DELETE", ns + "/tags", true, DeleteAllTags);
  add("GET", ns + "/tags/{tag_name}", true, ShowTag);
  add("POST", ns + "/tags/{tag_name}", false, CreateTag);
  add("PUT", ns + "/tags/{tag_name}", false, RenameTag);
  add("DELETE", ns + "/tags/{tag_name}", true, DeleteTag);
}

}  // namespace imagefs::service::api
