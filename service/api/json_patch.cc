#include "service/api/json_patch.h"

#include <boost/json.hpp>

namespace imagefs::service::api {
namespace json = boost::json;

namespace {

Result<std::vector<std::string>> DecodePointer(std::string_view p) {
  const std::string quoted = "`" + std::string(p) + "`";
  if (p.empty() || p[0] != '/') return InvalidArgument("Pointer " + quoted + " does not start with \"/\".");
  if (p.size() > 1 && p.back() == '/') return InvalidArgument("Pointer " + quoted + " end with \"/\".");
  if (p.find("//") != std::string_view::npos) {
    return InvalidArgument("Pointer " + quoted + " contains adjacent \"/\".");
  }
  std::vector<std::string> segments;
  size_t pos = 1;
  while (pos <= p.size()) {
    size_t slash = p.find('/', pos);
    if (slash == std::string_view::npos) slash = p.size();
    std::string seg;
    for (size_t i = pos; i < slash; ++i) {
      if (p[i] != '~') {
        seg.push_back(p[i]);
        continue;
      }
      if (i + 1 < slash && (p[i + 1] == '0' || p[i + 1] == '1')) {
        seg.push_back(p[i + 1] == '0' ? '~' : '/');
        ++i;
        continue;
      }
      return InvalidArgument("Pointer " + quoted +
                             " contains \"~\" not part of a recognized escape sequence.");
    }
    segments.push_back(std::move(seg));
    pos = slash + 1;
  }
  return segments;
}

Status CheckDepth(const PatchOp& op) {
  bool locations = !op.path.empty() && op.path[0] == "locations";
  size_t want = 1;
  if (locations && op.kind != PatchOp::Kind::kReplace) want = 2;
  if (op.path.size() != want) {
    return InvalidArgument("Invalid JSON pointer for this resource: '" + op.pointer + "'");
  }
  return Status::Ok();
}

Result<PatchOp> ParseV21(const json::object& o) {
  PatchOp op;
  auto kind = o.find("op");
  if (kind == o.end() || !kind->value().is_string()) {
    return InvalidArgument("Operation objects must contain a string member named \"op\".");
  }
  std::string_view name = kind->value().get_string();
  if (name == "add") {
    op.kind = PatchOp::Kind::kAdd;
  } else if (name == "replace") {
    op.kind = PatchOp::Kind::kReplace;
  } else if (name == "remove") {
    op.kind = PatchOp::Kind::kRemove;
  } else {
    return InvalidArgument("Invalid operation: `" + std::string(name) +
                           "`. It must be one of the following: add, remove, replace.");
  }
  auto path = o.find("path");
  if (path == o.end() || !path->value().is_string()) {
    return InvalidArgument("Operation objects must contain a string member named \"path\".");
  }
  op.pointer = std::string(path->value().get_string());
  return op;
}

Result<PatchOp> ParseV20(const json::object& o) {
  PatchOp op;
  int found = 0;
  for (auto [name, kind] : {std::pair{"add", PatchOp::Kind::kAdd},
                            std::pair{"replace", PatchOp::Kind::kReplace},
                            std::pair{"remove", PatchOp::Kind::kRemove}}) {
    auto it = o.find(name);
    if (it == o.end()) continue;
    ++found;
    op.kind = kind;
    if (!it->value().is_string()) {
      return InvalidArgument("Value of \"" + std::string(name) + "\" must be a JSON pointer.");
    }
    op.pointer = std::string(it->value().get_string());
  }
  if (found != 1) {
    return InvalidArgument(
        "Operation objects must contain exactly one member named \"add\", \"remove\", or "
        "\"replace\".");
  }
  return op;
}

std::string_view KindName(PatchOp::Kind k) {
  switch (k) {
    case PatchOp::Kind::kAdd: return "add";
    case PatchOp::Kind::kReplace: return "replace";
    case PatchOp::Kind::kRemove: return "remove";
  }
  return "";
}

}  // namespace

std::optional<PatchDialect> PatchDialectOf(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t == "application/openstack-images-v2.1-json-patch") return PatchDialect::kV21;
  if (t == "application/openstack-images-v2.0-json-patch") return PatchDialect::kV20;
  return std::nullopt;
}

Result<std::vector<PatchOp>> ParsePatch(PatchDialect dialect, const json::value& body) {
  if (!body.is_array()) {
    return InvalidArgument("Request body must be a JSON array of operation objects.");
  }
  std::vector<PatchOp> ops;
  for (const auto& e : body.get_array()) {
    if (!e.is_object()) return InvalidArgument("Operations must be JSON objects.");
    const json::object& o = e.get_object();
    IMAGEFS_ASSIGN_OR_RETURN(PatchOp op,
                             dialect == PatchDialect::kV21 ? ParseV21(o) : ParseV20(o));
    if (op.kind != PatchOp::Kind::kRemove) {
      auto v = o.find("value");
      if (v == o.end()) {
        return InvalidArgument("Operation \"" + std::string(KindName(op.kind)) +
                               "\" requires a member named \"value\".");
      }
      op.value = v->value();
    }
    IMAGEFS_ASSIGN_OR_RETURN(op.path, DecodePointer(op.pointer));
    IMAGEFS_RETURN_IF_ERROR(CheckDepth(op));
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace imagefs::service::api
