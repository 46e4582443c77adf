// GET /v2/schemas/metadefs/{namespace,namespaces,resource_type,resource_types,object,
// objects,property,properties,tag,tags}: JSON schemas of the metadef documents
// (metadefs.h). Each entity schema's `name` is what Glance names it.
#include <memory>

#include <boost/json.hpp>

#include "service/api/metadefs.h"

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

json::object Str(std::string_view description) {
  return json::object{{"type", "string"}, {"description", description}};
}

json::object DateTime() {
  return json::object{{"type", "string"}, {"format", "date-time"}, {"readOnly", true}};
}

// The property definition shared by properties and objects' properties.
json::object PropertyDefinition() {
  return json::object{
      {"type", "object"},
      {"required", json::array{"title", "type"}},
      {"properties",
       json::object{{"name", json::object{{"type", "string"}, {"maxLength", 80}}},
                    {"title", Str("The title of the property")},
                    {"description", Str("Detailed description of the property")},
                    {"operators", json::object{{"type", "array"}, {"items", Str("")}}},
                    {"type", json::object{{"type", "string"},
                                          {"enum", json::array{"array", "boolean", "integer",
                                                               "number", "object", "string"}}}},
                    {"enum", json::object{{"type", "array"}}},
                    {"default", json::object{}},
                    {"readonly", json::object{{"type", "boolean"}}},
                    {"minimum", json::object{{"type", "number"}}},
                    {"maximum", json::object{{"type", "number"}}},
                    {"minLength", json::object{{"type", "integer"}, {"minimum", 0}}},
                    {"maxLength", json::object{{"type", "integer"}, {"minimum", 0}}},
                    {"pattern", json::object{{"type", "string"}, {"format", "regex"}}},
                    {"items", json::object{{"type", "object"}}}}}};
}

json::object Entity(std::string_view name, json::object props, json::array required) {
  props["created_at"] = DateTime();
  props["updated_at"] = DateTime();
  return json::object{{"name", name},
                      {"properties", std::move(props)},
                      {"required", std::move(required)},
                      {"additionalProperties", false}};
}

json::object Collection(std::string_view name, std::string_view key, json::object item) {
  return json::object{
      {"name", name},
      {"properties",
       json::object{{key, json::object{{"type", "array"}, {"items", std::move(item)}}},
                    {"first", json::object{{"type", "string"}}},
                    {"next", json::object{{"type", "string"}}},
                    {"schema", json::object{{"type", "string"}}}}},
      {"links", json::array{json::object{{"rel", "first"}, {"href", "{first}"}},
                            json::object{{"rel", "next"}, {"href", "{next}"}},
                            json::object{{"rel", "describedby"}, {"href", "{schema}"}}}}};
}

json::object ResourceTypeAssociation() {
  return Entity("resource_type_association",
                json::object{{"name", Str("Resource type names should be aligned with Heat "
                                          "resource types whenever possible")},
                             {"prefix", Str("Specifies the prefix to use for the given resource "
                                            "type")},
                             {"properties_target", Str("Some resource types allow more than one "
                                                       "key / value pair per instance")}},
                json::array{"name"});
}

json::object Tag() {
  return Entity("tag", json::object{{"name", json::object{{"type", "string"}, {"maxLength", 255}}}},
                json::array{"name"});
}

json::object Property() {
  json::object p = PropertyDefinition();
  json::object schema =
      Entity("property", p.at("properties").as_object(), json::array{"name", "title", "type"});
  schema.erase("additionalProperties");
  schema.at("properties").as_object().erase("created_at");
  schema.at("properties").as_object().erase("updated_at");
  return schema;
}

json::object Object() {
  return Entity(
      "object",
      json::object{{"name", json::object{{"type", "string"}, {"maxLength", 80}}},
                   {"description", Str("Detailed description of the object")},
                   {"required", json::object{{"type", "array"}, {"items", Str("")}}},
                   {"properties", json::object{{"type", "object"},
                                               {"additionalProperties", PropertyDefinition()}}},
                   {"schema", json::object{{"type", "string"}, {"readOnly", true}}},
                   {"self", json::object{{"type", "string"}, {"readOnly", true}}}},
      json::array{"name"});
}

json::object Namespace() {
  return Entity(
      "namespace",
      json::object{{"namespace", json::object{{"type", "string"},
                                              {"maxLength", 80},
                                              {"description", "The unique namespace text."}}},
                   {"display_name", Str("The user friendly name for the namespace.")},
                   {"description", Str("Provides a user friendly description of the namespace.")},
                   {"visibility",
                    json::object{{"type", "string"}, {"enum", json::array{"public", "private"}}}},
                   {"protected", json::object{{"type", "boolean"}}},
                   {"owner", Str("Owner of the namespace.")},
                   {"schema", json::object{{"type", "string"}, {"readOnly", true}}},
                   {"self", json::object{{"type", "string"}, {"readOnly", true}}},
                   {"resource_type_associations",
                    json::object{{"type", "array"}, {"items", ResourceTypeAssociation()}}},
                   {"properties", json::object{{"type", "object"},
                                               {"additionalProperties", PropertyDefinition()}}},
                   {"objects", json::object{{"type", "array"}, {"items", Object()}}},
                   {"tags", json::object{{"type", "array"}, {"items", Tag()}}}},
      json::array{"namespace"});
}

void Add(http::Router& router, std::string_view name, const json::object& doc) {
  auto body = std::make_shared<std::string>(json::serialize(doc));
  http::RouteOptions o;
  o.reject_body = true;
  o.name = "GET /v2/schemas/metadefs/" + std::string(name);
  router.Add(
      "GET", "/v2/schemas/metadefs/" + std::string(name),
      [body](http::Request&) -> Result<http::Response> { return http::Response::Json(200, *body); },
      o);
}

}  // namespace

void AddMetadefSchemaRoutes(http::Router& router) {
  Add(router, "namespace", Namespace());
  Add(router, "namespaces", Collection("namespaces", "namespaces", Namespace()));
  Add(router, "resource_type", ResourceTypeAssociation());
  Add(router, "resource_types",
      Collection("resource_type_associations", "resource_type_associations",
                 ResourceTypeAssociation()));
  Add(router, "object", Object());
  Add(router, "objects", Collection("objects", "objects", Object()));
  Add(router, "property", Property());
  json::object props{
      {"name", "properties"},
      {"properties",
       json::object{{"properties", json::object{{"type", "object"},
                                                {"additionalProperties", PropertyDefinition()}}}}}};
  Add(router, "properties", props);
  Add(router, "tag", Tag());
  Add(router, "tags", Collection("tags", "tags", Tag()));
}

}  // namespace imagefs::service::api
