// MountOptions: everything `imagefs URL MOUNTPOINT [-o opts] [-f] [-d] [-s]` can say,
// with defaults, and the parser that main.cc uses. Pure (no FUSE, no I/O except
// reading token_file), so it is unit-tested. See docs/semantics.md §9 for the
// user-facing list.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace imagefs::fs {

using Millis = std::chrono::milliseconds;

struct MountOptions {
  // Base URL of the Images API, without a trailing slash ("http://127.0.0.1:9292").
  std::string url;
  // Where to mount. Made absolute by the parser.
  std::string mountpoint;

  // X-Auth-Token sent on every request. Default: none (imaged without tokens).
  std::string token;
  // File whose first line is the token (keeps it out of `ps`). Default: none.
  std::string token_file;
  // The token's project: the backups API's URLs name it (backups/ is empty without
  // it). Default: none.
  std::string project;

  // Directory for the block cache and the mount's persistent state.
  // Default: /var/cache/imagefs for root, else $XDG_CACHE_HOME/imagefs or ~/.cache/imagefs.
  std::string cache_dir;
  // Bytes of image blocks the cache may keep. Default: 10 GiB.
  uint64_t cache_size = uint64_t{10} << 30;
  // Keep at least this much free on the cache's filesystem. Default: 1 GiB.
  uint64_t cache_min_free = uint64_t{1} << 30;

  // A listing younger than this is served without asking the service. Default: 1 s.
  Millis list_ttl{1000};
  // How long the kernel may cache entries and attributes. Default: 1 s.
  Millis attr_ttl{1000};
  // At most this long between full listings (which catch deletions). Default: 60 s.
  Millis resync_interval{60000};
  // How long an operation that needs fresh state waits for a refresh before it
  // answers from what the mount knows. Default: 1 s.
  Millis sync_wait{1000};
  // Idempotent requests are retried with backoff until this deadline, then the
  // operation fails with EIO. Default: 30 s.
  Millis retry_deadline{30000};
  // TCP connect timeout per attempt. Default: 3 s.
  Millis connect_timeout{3000};
  // An attempt that receives no byte for this long is abandoned (and retried).
  // Default: 10 s.
  Millis stall_timeout{10000};

  // Bytes of fetched-but-not-yet-cached data in flight across the mount. Read-ahead
  // shrinks to stay within it. Default: 64 MiB.
  uint64_t max_inflight = uint64_t{64} << 20;
  // First read-ahead window of a sequential stream. Default: 1 MiB.
  uint64_t readahead_initial = uint64_t{1} << 20;
  // Largest read-ahead window of one open file. Default: 64 MiB.
  uint64_t readahead_max = uint64_t{64} << 20;
  // Largest single HTTP range issued for read-ahead. Default: 8 MiB.
  uint64_t fetch_run = uint64_t{8} << 20;
  // Threads fetching read-ahead ranges in parallel. Default: 8.
  int fetch_threads = 8;
  // Most FUSE worker threads (each may block on one fetch). Default: 64.
  int max_threads = 64;
  // The mount's kernel read-ahead (bdi read_ahead_kb), set after mounting when
  // permitted; 0 leaves the kernel default. Default: 1024.
  int read_ahead_kb = 1024;
  // Reply to reads by splicing from the cache file instead of copying. Default: off
  // (measured equal or slower here; see docs/semantics.md §8).
  bool splice = false;
  // -o verify=crc32c (true): fetched blocks are checked against the CRC-32C imaged
  // recorded at upload when the block map has one (SHA-256 otherwise);
  // verify=sha256 (false): always against SHA-256. Default: true (docs/semantics.md §7).
  bool verify_by_crc = true;
  // Hand a wholly cached, verified image to the kernel as the backing file of later
  // opens (FUSE passthrough, Linux 6.9+ and CAP_SYS_ADMIN), so their reads never reach
  // this process. Default: on, used where the kernel allows (docs/semantics.md §8).
  bool passthrough = true;

  // Owner of every file and directory. Default: the mounting user.
  uint32_t uid = 0;
  uint32_t gid = 0;

  bool allow_other = false;
  bool read_only = false;
  bool foreground = false;       // -f
  bool single_threaded = false;  // -s
  bool fuse_debug = false;       // -d: libfuse's request trace (implies -f)
  // Log level: "" (IMAGEFS_LOG or info), "debug", ... (-o debug, -o log_level=).
  std::string log_level;
  // When daemonized, stderr goes here (else /dev/null). Default: none.
  std::string log_file;

  // The FUSE max_read option's value, also passed through below (0: not given):
  // init() must repeat it to libfuse.
  uint32_t max_read = 0;

  // Options passed through to libfuse's mount (fsname, subtype, default_permissions,
  // allow_other, ro, max_read, ...), in order.
  std::vector<std::string> fuse_options;
};

struct CommandLine {
  MountOptions options;
  bool show_help = false;
  bool show_version = false;
};

// Parses argv (argv[0] is the program). InvalidArgument with a message fit for the
// user on anything malformed: unknown flags, bad sizes or durations, missing URL or
// mount point. Reads token_file when given. Options it does not know are passed to
// libfuse, which rejects the ones it does not know either.
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv);

// "4096", "64k", "64K", "64KiB", "1M", "2G", "1T" (binary multiples). InvalidArgument otherwise.
Result<uint64_t> ParseByteSize(std::string_view text);
// "30" (seconds), "1.5", "500ms", "2s", "1m", "1h". InvalidArgument otherwise.
Result<Millis> ParseDuration(std::string_view text);
// Splits one -o argument on commas; "\," is a literal comma.
std::vector<std::string> SplitOptionList(std::string_view text);

// The default cache directory for the current user (see MountOptions::cache_dir).
std::string DefaultCacheDir();

// Usage text for --help.
std::string UsageText(std::string_view program);

}  // namespace imagefs::fs
