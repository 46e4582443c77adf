// Metadata definitions catalog (spec 1.5.12, Glance's /v2/metadefs): namespaces with
// their objects, properties, tags and resource type associations, the list of
// resource types, and the ten /v2/schemas/metadefs/* documents.
//
// Each namespace is one catalog document (kind "metadef_namespace", key = the
// namespace name) holding its whole JSON form, children included; a change is a
// read-modify-write of that one document under MetadefStore's mutex, so a rename
// (delete old key, put new key) is one batch. Reads are open to every caller for
// public namespaces and to the owner and admins for private ones; every change
// needs the admin role (Glance's default metadef policy).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/result.h"
#include "service/api/context.h"
#include "service/http/router.h"

namespace imagefs::service::api {

// The resource types known before any association names a new one (Glance's
// shipped metadefs).
const std::vector<std::string>& BuiltinResourceTypes();

// Namespace documents in the catalog. Thread-safe.
class MetadefStore {
 public:
  explicit MetadefStore(Catalog& catalog) : catalog_(catalog) {}

  // Every namespace, ordered by name.
  Result<std::vector<boost::json::object>> List();
  // NotFound for an unknown name.
  Result<boost::json::object> Get(const std::string& name);
  // AlreadyExists when the name is taken.
  Status Create(const boost::json::object& ns);
  // Loads `name`, applies `mutate`, writes the result (under its possibly new
  // `namespace` name; a taken new name is AlreadyExists). Returns what was written.
  Result<boost::json::object> Update(const std::string& name,
                                     const std::function<Status(boost::json::object&)>& mutate);
  Status Remove(const std::string& name);

 private:
  Result<boost::json::object> GetLocked(const std::string& name);

  Catalog& catalog_;
  std::mutex mu_;  // serializes read-modify-write of namespace documents
};

// Helpers shared by the metadef route files.
struct MetadefEnv {
  explicit MetadefEnv(ServiceContext& c) : ctx(c), store(c.catalog) {}
  ServiceContext& ctx;
  MetadefStore store;
};
// 403 unless the caller is an admin.
Status RequireMetadefAdmin(const Identity& caller);
// The namespace named by path_params[0], if the caller may see it (else 404).
Result<boost::json::object> LoadNamespace(MetadefEnv& env, const http::Request& req);
// The current time as Glance renders it.
std::string MetadefNow(ServiceContext& ctx);

// The route groups; their handlers share `env` (and keep it alive).
using MetadefEnvPtr = std::shared_ptr<MetadefEnv>;
void AddMetadefNamespaceRoutes(http::Router& router, const MetadefEnvPtr& env);
void AddMetadefItemRoutes(http::Router& router, const MetadefEnvPtr& env);
void AddMetadefSchemaRoutes(http::Router& router);

// All of the above.
void AddMetadefRoutes(http::Router& router, ServiceContext& ctx);

}  // namespace imagefs::service::api
