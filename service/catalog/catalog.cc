// Default implementations of the Catalog calls added after the first release
// (tasks, documents): a Catalog that does not keep them answers Unimplemented.
#include "service/catalog/catalog.h"

namespace imagefs::service {
namespace {

Status NotKept(std::string_view what) {
  return Unimplemented("this catalog does not keep " + std::string(what));
}

}  // namespace

Status Catalog::CreateTask(const wire::Task&) { return NotKept("tasks"); }
Result<wire::Task> Catalog::GetTask(std::string_view) { return NotKept("tasks"); }
Result<wire::Task> Catalog::UpdateTask(std::string_view, const TaskMutation&) {
  return NotKept("tasks");
}
Result<std::vector<wire::Task>> Catalog::ListTasks() { return NotKept("tasks"); }
Status Catalog::DeleteTasks(const std::vector<std::string>&) { return NotKept("tasks"); }
Result<wire::Image> Catalog::UpdateImageWithTask(std::string_view, const ImageMutation&,
                                                 const wire::Task&) {
  return NotKept("tasks");
}
Status Catalog::WriteDocuments(std::string_view, const std::vector<Document>&,
                               const std::vector<std::string>&) {
  return NotKept("documents");
}
Result<std::vector<Document>> Catalog::ListDocuments(std::string_view) {
  return NotKept("documents");
}

}  // namespace imagefs::service
