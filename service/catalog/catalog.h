// Catalog: the durable record of images, their members and their block maps.
//
// The implementation keeps the records in RocksDB (the source of truth: every write
// is one WriteBatch, synced) and an in-memory index for reads and lists, so show and
// list never touch the disk. Writes that belong together (an image and its block map
// on activation; an image and its members on delete) go in one batch.
//
// Thread-safe. Reads run concurrently; writes to one image are serialized.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/wire/image.h"
#include "common/wire/task.h"
#include "service/catalog/list_query.h"
#include "service/identity.h"

namespace imagefs::service {

struct ListPage {
  std::vector<wire::Image> images;
  // True when exactly `limit` images were returned (the caller emits a `next` link,
  // even if no image follows, as Glance does).
  bool full = false;
};

// Edits an image in place inside Catalog::UpdateImage. Return non-OK to abort the
// update (nothing is written and the status is returned to the caller).
using ImageMutation = std::function<Status(wire::Image&)>;
using MemberMutation = std::function<Status(wire::Member&)>;
using TaskMutation = std::function<Status(wire::Task&)>;

// A small JSON record of another API area (metadata definitions), by kind and key.
struct Document {
  std::string key;
  std::string value;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // --- images ---

  // AlreadyExists when the id is taken (by any image, deleted ones included).
  virtual Status CreateImage(const wire::Image& image) = 0;

  // The record in any status, deleted included; NotFound if the id never existed.
  virtual Result<wire::Image> GetImage(std::string_view id) = 0;

  // Reads the image, applies `mutate`, and writes the result atomically; concurrent
  // updates of one image are serialized. NotFound for an unknown id; whatever
  // `mutate` returns when it fails. Returns the image as written.
  virtual Result<wire::Image> UpdateImage(std::string_view id, const ImageMutation& mutate) = 0;

  // UpdateImage that also stores `block_map` in the same batch (activation).
  virtual Result<wire::Image> UpdateImageWithBlockMap(std::string_view id,
                                                      const ImageMutation& mutate,
                                                      const wire::BlockMap& block_map) = 0;

  // NotFound when the image has no block map (no data yet).
  virtual Result<wire::BlockMap> GetBlockMap(std::string_view id) = 0;

  // Marks the image deleted (status deleted, deleted_at = updated_at = now) and
  // removes its members and block map, in one batch. Returns the deleted record.
  virtual Result<wire::Image> DeleteImage(std::string_view id, int64_t now) = 0;

  // True when `caller` may see `image` (spec 1.4): admin; owner unset; public or
  // community; owned by the caller's project; shared with a membership row for the
  // caller's project in any status. Deleted images are visible to nobody.
  virtual bool IsVisible(const wire::Image& image, const Identity& caller) = 0;

  // Evaluates a list query: visibility scope, filters, sort with tie-breakers, marker
  // and limit. InvalidArgument when the marker is unknown or not visible to the caller.
  // Fast paths: the default order (created_at, id) walks an ordered index from the
  // marker and stops after `limit` matches.
  virtual Result<ListPage> ListImages(const ListQuery& query) = 0;

  // Calls `fn` for every image record, any status (recovery at startup).
  virtual void ForEachImage(const std::function<void(const wire::Image&)>& fn) = 0;

  // --- members ---

  // AlreadyExists when the project is already a member. NotFound for an unknown image.
  virtual Status AddMember(const wire::Member& member) = 0;
  virtual Result<wire::Member> GetMember(std::string_view image_id,
                                         std::string_view member_id) = 0;
  virtual Result<std::vector<wire::Member>> ListMembers(std::string_view image_id) = 0;
  virtual Result<wire::Member> UpdateMember(std::string_view image_id, std::string_view member_id,
                                            const MemberMutation& mutate) = 0;
  // NotFound when there is no such membership.
  virtual Status RemoveMember(std::string_view image_id, std::string_view member_id) = 0;
  // Replaces every membership of the image with `members`, in one batch.
  virtual Status ReplaceMembers(std::string_view image_id,
                                const std::vector<wire::Member>& members) = 0;
  // Every membership held by project `member_id`.
  virtual Result<std::vector<wire::Member>> ListMembershipsOf(std::string_view member_id) = 0;

  // Number of images not deleted (for stats and tests).
  virtual size_t ImageCount() = 0;

  // --- tasks (interoperable import, /v2/tasks). The defaults answer Unimplemented. ---

  // AlreadyExists when the id is taken.
  virtual Status CreateTask(const wire::Task& task);
  // NotFound for an unknown id.
  virtual Result<wire::Task> GetTask(std::string_view id);
  // Read, `mutate`, write, as UpdateImage. NotFound for an unknown id.
  virtual Result<wire::Task> UpdateTask(std::string_view id, const TaskMutation& mutate);
  // Every task, in no particular order.
  virtual Result<std::vector<wire::Task>> ListTasks();
  // Removes tasks (expired ones); unknown ids are skipped. One batch.
  virtual Status DeleteTasks(const std::vector<std::string>& ids);
  // UpdateImage that also writes `task` (created or replaced) in the same batch, so
  // an import's task and the image's move to importing happen together.
  virtual Result<wire::Image> UpdateImageWithTask(std::string_view image_id,
                                                  const ImageMutation& mutate,
                                                  const wire::Task& task);

  // --- documents (metadata definitions). The defaults answer Unimplemented. ---

  // Writes every document of `puts` and removes every key of `deletes` (all of
  // `kind`), in one batch.
  virtual Status WriteDocuments(std::string_view kind, const std::vector<Document>& puts,
                                const std::vector<std::string>& deletes);
  // Every document of `kind`, ordered by key.
  virtual Result<std::vector<Document>> ListDocuments(std::string_view kind);
};

struct RocksCatalogOptions {
  // Directory of the RocksDB database; created if missing. Required.
  std::string path;
  // Sync the WAL on every write, so an acknowledged write survives a power loss.
  // Default: true.
  bool sync = true;
};

// Opens (or creates) the catalog and loads its in-memory index.
Result<std::unique_ptr<Catalog>> OpenRocksCatalog(const RocksCatalogOptions& options);

}  // namespace imagefs::service
