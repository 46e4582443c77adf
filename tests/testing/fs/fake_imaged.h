// FakeImaged: an in-process stand-in for imaged's read side, over TinyHttpServer, for
// mount tests and measurements until the real imaged lands. It serves the calls
// imagefs depends on (see fs/catalog_client.h): list (limit/marker/next,
// updated_at=gt:, sort=updated_at:asc), show, /file with Range, /blocks (switchable,
// to act like a plain Glance), and PATCH (the fields xattrs write). It counts
// requests by kind and can fail or corrupt them on demand. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/thread_annotations.h"
#include "common/wire/image.h"
#include "tests/testing/fs/tiny_http_server.h"

namespace imagefs::fstest {

struct FakeImagedOptions {
  int port = 0;
  // When set, requests must carry X-Auth-Token: token (else 401).
  std::string token;
  uint32_t block_size = wire::kDefaultBlockSize;
  // Serve GET /v2/images/{id}/blocks (imaged); false acts like Glance (404).
  bool serve_blocks = true;
};

enum class RequestKind { kList, kShow, kBlocks, kFile, kPatch, kOther };

class FakeImaged {
 public:
  explicit FakeImaged(const FakeImagedOptions& options);
  ~FakeImaged();

  Status Start();  // listens (again, on the same port after the first time)
  void Stop();     // closes the listener and all connections
  std::string url() const;
  int port() const { return server_.port(); }

  // Adds an active image holding `data` (checksums, block digests computed here).
  // Returns its id. `id` empty: a random UUID.
  std::string AddImage(std::optional<std::string> name, std::string data, std::string id = "");
  // Adds an active image whose bytes are the file at `path` (served with sendfile).
  Result<std::string> AddImageFromFile(std::optional<std::string> name, const std::string& path);
  // Adds or replaces an image record as given (no data unless `data`).
  void PutImage(const wire::Image& image, std::optional<std::string> data = std::nullopt);
  void RemoveImage(const std::string& id);
  std::optional<wire::Image> GetImage(const std::string& id) const;
  // Changes an image in place and bumps updated_at.
  void Mutate(const std::string& id, const std::function<void(wire::Image&)>& change);

  void SetServeBlocks(bool on);
  // The next `n` /file requests answer 503.
  void FailNextFileRequests(int n);
  // Flips one byte in every /file answer while on.
  void SetCorruptFiles(bool on);
  // What /blocks answers: the true map, one without CRC-32Cs (as from an imaged
  // before them), or one whose SHA-256 digests are all wrong but whose CRCs are right
  // (shows which of the two a mount checks).
  enum class BlocksFault { kNone, kNoCrcs, kWrongDigests };
  void SetBlocksFault(BlocksFault fault);

  uint64_t Count(RequestKind kind) const;
  uint64_t FileBytesServed() const { return file_bytes_.load(); }
  void ResetCounts();

 private:
  struct Entry {
    wire::Image image;
    std::shared_ptr<const std::string> data;  // in memory, or
    std::shared_ptr<int> file;                // an open fd (closed when the last user lets go)
    std::shared_ptr<const wire::BlockMap> blocks;
  };

  HttpResponse Handle(const HttpRequest& req);
  HttpResponse List(const HttpRequest& req);
  HttpResponse File(const std::string& id, const HttpRequest& req);
  HttpResponse Blocks(const std::string& id);
  HttpResponse Patch(const std::string& id, const HttpRequest& req);
  void Store(wire::Image image, Entry entry);
  int64_t NextTime();

  const FakeImagedOptions options_;
  TinyHttpServer server_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> images_ GUARDED_BY(mu_);
  bool serve_blocks_ GUARDED_BY(mu_);
  int fail_file_ GUARDED_BY(mu_) = 0;
  bool corrupt_ GUARDED_BY(mu_) = false;
  BlocksFault blocks_fault_ GUARDED_BY(mu_) = BlocksFault::kNone;
  int64_t last_time_ GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> counts_[6] = {};
  std::atomic<uint64_t> file_bytes_{0};
};

HttpResponse JsonError(int status, const std::string& message);

}  // namespace imagefs::fstest
