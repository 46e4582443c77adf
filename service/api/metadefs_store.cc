// MetadefStore and the helpers the metadef route files share (metadefs.h).
#include <boost/json.hpp>

#include "common/time_util.h"
#include "service/api/handler_util.h"
#include "service/api/metadefs.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

constexpr std::string_view kKind = "metadef_namespace";

Result<json::object> ParseDocument(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Internal("corrupt metadef namespace document");
  return std::move(v.as_object());
}

std::string NameOf(const json::object& ns) {
  const json::value* v = ns.if_contains("namespace");
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

const std::vector<std::string>& BuiltinResourceTypes() {
  static const std::vector<std::string> kTypes = {
      "OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor",    "OS::Nova::Aggregate",
      "OS::Nova::Server",  "OS::Nova::Instance", "OS::Trove::Instance",
  };
  return kTypes;
}

Result<std::vector<json::object>> MetadefStore::List() {
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<Document> docs, catalog_.ListDocuments(kKind));
  std::vector<json::object> out;
  out.reserve(docs.size());
  for (const Document& d : docs) {
    IMAGEFS_ASSIGN_OR_RETURN(json::object ns, ParseDocument(d.value));
    out.push_back(std::move(ns));
  }
  return out;
}

Result<json::object> MetadefStore::GetLocked(const std::string& name) {
  IMAGEFS_ASSIGN_OR_RETURN(std::vector<Document> docs, catalog_.ListDocuments(kKind));
  for (const Document& d : docs) {
    if (d.key == name) return ParseDocument(d.value);
  }
  return NotFound("Metadata definition namespace=" + name + " was not found.");
}

Result<json::object> MetadefStore::Get(const std::string& name) {
  std::lock_guard lock(mu_);
  return GetLocked(name);
}

Status MetadefStore::Create(const json::object& ns) {
  std::string name = NameOf(ns);
  std::lock_guard lock(mu_);
  if (GetLocked(name).ok()) {
    return AlreadyExists("A metadata definition namespace with name=" + name + " already exists.");
  }
  return catalog_.WriteDocuments(kKind, {Document{name, json::serialize(ns)}}, {});
}

Result<json::object> MetadefStore::Update(const std::string& name,
                                          const std::function<Status(json::object&)>& mutate) {
  std::lock_guard lock(mu_);
  IMAGEFS_ASSIGN_OR_RETURN(json::object ns, GetLocked(name));
  IMAGEFS_RETURN_IF_ERROR(mutate(ns));
  std::string new_name = NameOf(ns);
  std::vector<std::string> deletes;
  if (new_name != name) {
    if (GetLocked(new_name).ok()) {
      return AlreadyExists("A metadata definition namespace with name=" + new_name +
                           " already exists.");
    }
    deletes.push_back(name);
  }
  IMAGEFS_RETURN_IF_ERROR(
      catalog_.WriteDocuments(kKind, {Document{new_name, json::serialize(ns)}}, deletes));
  return ns;
}

Status MetadefStore::Remove(const std::string& name) {
  std::lock_guard lock(mu_);
  return catalog_.WriteDocuments(kKind, {}, {name});
}

Status RequireMetadefAdmin(const Identity& caller) {
  if (caller.is_admin) return Status::Ok();
  return PermissionDenied("You are not authorized to modify metadata definitions.");
}

Result<json::object> LoadNamespace(MetadefEnv& env, const http::Request& req) {
  const std::string& name = req.path_params[0];
  Result<json::object> ns = env.store.Get(name);
  if (!ns.ok()) return ns.status();
  const json::value* vis = ns->if_contains("visibility");
  const json::value* owner = ns->if_contains("owner");
  bool is_public = vis != nullptr && vis->is_string() && vis->get_string() == "public";
  bool owns = owner != nullptr && owner->is_string() && owner->get_string() == req.identity.project;
  if (!is_public && !owns && !req.identity.is_admin) {
    return NotFound("Metadata definition namespace=" + name + " was not found.");
  }
  return ns;
}

std::string MetadefNow(ServiceContext& ctx) { return FormatIsoZ(ctx.clock.WallMicros()); }

void AddMetadefRoutes(http::Router& router, ServiceContext& ctx) {
  auto env = std::make_shared<MetadefEnv>(ctx);
  AddMetadefNamespaceRoutes(router, env);
  AddMetadefItemRoutes(router, env);
  AddMetadefSchemaRoutes(router);
}

}  // namespace imagefs::service::api
