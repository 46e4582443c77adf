// imagefs URL MOUNTPOINT [-f] [-o opts]: mounts an Images API catalog (see
// `imagefs --help` and docs/semantics.md).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include <sys/stat.h>

#include "cache/block_cache.h"
#include "common/log.h"
#include "fs/fuse_adapter.h"
#include "fs/http_catalog_client.h"
#include "fs/image_fs.h"
#include "fs/mount_options.h"
#include "fs/state_store.h"

namespace imagefs::fs {
namespace {

class Mounted final : public MountedFilesystem {
 public:
  ImageFs& fs() override { return *fs_; }

  std::unique_ptr<CatalogClient> client_;
  std::unique_ptr<cache::BlockCache> cache_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<ImageFs> fs_;  // last: uses the members above
};

ImageFsOptions FsOptions(const MountOptions& o) {
  ImageFsOptions f;
  f.uid = o.uid;
  f.gid = o.gid;
  f.project = o.project;
  f.sync.list_ttl = o.list_ttl;
  f.sync.resync_interval = o.resync_interval;
  f.sync.sync_wait = o.sync_wait;
  f.sync.retry_deadline = o.retry_deadline;
  f.reader.readahead.initial = o.readahead_initial;
  f.reader.readahead.max = o.readahead_max;
  f.reader.max_inflight = o.max_inflight;
  f.reader.fetch_run = o.fetch_run;
  f.reader.fetch_threads = o.fetch_threads;
  f.reader.retry_deadline = o.retry_deadline;
  f.verify_by_crc = o.verify_by_crc;
  return f;
}

Result<std::unique_ptr<MountedFilesystem>> Build(const MountOptions& o) {
  auto m = std::make_unique<Mounted>();
  HttpClientOptions http;
  http.base_url = o.url;
  http.token = o.token;
  http.connect_timeout = o.connect_timeout;
  http.stall_timeout = o.stall_timeout;
  http.max_idle_connections = o.fetch_threads + o.max_threads;
  IMAGEFS_ASSIGN_OR_RETURN(m->client_, NewHttpCatalogClient(http));
  cache::DiskBlockCacheOptions co;
  co.dir = o.cache_dir + "/blocks";
  co.capacity_bytes = o.cache_size;
  co.min_free_bytes = o.cache_min_free;
  auto opened = cache::OpenDiskBlockCache(co);
  if (!opened.ok()) return opened.status().Annotate("block cache " + co.dir);
  m->cache_ = std::move(*opened);
  m->store_ = std::make_unique<StateStore>(o.cache_dir + "/state", o.url + "\n" + o.token);
  m->fs_ = std::make_unique<ImageFs>(FsOptions(o), *m->client_, *m->cache_, m->store_.get(),
                                     SystemClock::Get());
  return std::unique_ptr<MountedFilesystem>(std::move(m));
}

// Fails before mounting when the cache directory cannot be used, so the mount helper
// reports it (after daemonizing errors only reach the log).
Status PrepareCacheDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return PermissionDenied("cannot create cache_dir " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) {
    return PermissionDenied("cache_dir " + dir + " is not writable");
  }
  return Status::Ok();
}

int Main(int argc, char** argv) {
  auto cl = ParseCommandLine(argc, argv);
  if (!cl.ok()) {
    std::fprintf(stderr, "imagefs: %s\nTry 'imagefs --help'.\n", cl.status().message().c_str());
    return 2;
  }
  if (cl->show_help) {
    std::fputs(UsageText("imagefs").c_str(), stdout);
    return 0;
  }
  if (cl->show_version) {
    std::puts("imagefs 0.1.0");
    return 0;
  }
  const MountOptions& o = cl->options;
  InitLogging("imagefs", o.log_level);
  if (Status s = PrepareCacheDir(o.cache_dir); !s.ok()) {
    IMAGEFS_LOG_ERROR("{}", s.ToString());
    return 1;
  }
  return RunFuseSession(o, [&o] { return Build(o); });
}

}  // namespace
}  // namespace imagefs::fs

int main(int argc, char** argv) { return imagefs::fs::Main(argc, argv); }
