#include "fs/mount_options.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>

namespace imagefs::fs {
namespace {

using Setter = std::function<Status(MountOptions&, std::string_view)>;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<double> ParseNumber(std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v) || v < 0) {
    return InvalidArgument("not a non-negative number: '" + std::string(text) + "'");
  }
  return v;
}

Result<int64_t> ParseInt(std::string_view text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi) {
    return InvalidArgument("expected an integer in [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "], got '" + std::string(text) + "'");
  }
  return v;
}

Setter Size(uint64_t MountOptions::*field) {
  return [field](MountOptions& o, std::string_view v) -> Status {
    IMAGEFS_ASSIGN_OR_RETURN(o.*field, ParseByteSize(v));
    return Status::Ok();
  };
}

Setter Duration(Millis MountOptions::*field) {
  return [field](MountOptions& o, std::string_view v) -> Status {
    IMAGEFS_ASSIGN_OR_RETURN(o.*field, ParseDuration(v));
    return Status::Ok();
  };
}

Setter Int(int MountOptions::*field, int lo, int hi) {
  return [field, lo, hi](MountOptions& o, std::string_view v) -> Status {
    IMAGEFS_ASSIGN_OR_RETURN(int64_t n, ParseInt(v, lo, hi));
    o.*field = static_cast<int>(n);
    return Status::Ok();
  };
}

Setter Id(uint32_t MountOptions::*field) {
  return [field](MountOptions& o, std::string_view v) -> Status {
    IMAGEFS_ASSIGN_OR_RETURN(int64_t n, ParseInt(v, 0, UINT32_MAX - 1));
    o.*field = static_cast<uint32_t>(n);
    return Status::Ok();
  };
}

Setter Text(std::string MountOptions::*field) {
  return [field](MountOptions& o, std::string_view v) -> Status {
    o.*field = std::string(v);
    return Status::Ok();
  };
}

// Options imagefs consumes (key=value). Flags without a value are handled in ApplyFlag.
const std::map<std::string, Setter, std::less<>>& ValueOptions() {
  static const auto* table = new std::map<std::string, Setter, std::less<>>{
      {"token", Text(&MountOptions::token)},
      {"token_file", Text(&MountOptions::token_file)},
      {"project", Text(&MountOptions::project)},
      {"cache_dir", Text(&MountOptions::cache_dir)},
      {"cache_size", Size(&MountOptions::cache_size)},
      {"cache_min_free", Size(&MountOptions::cache_min_free)},
      {"list_ttl", Duration(&MountOptions::list_ttl)},
      {"attr_ttl", Duration(&MountOptions::attr_ttl)},
      {"resync_interval", Duration(&MountOptions::resync_interval)},
      {"sync_wait", Duration(&MountOptions::sync_wait)},
      {"retry_deadline", Duration(&MountOptions::retry_deadline)},
      {"connect_timeout", Duration(&MountOptions::connect_timeout)},
      {"stall_timeout", Duration(&MountOptions::stall_timeout)},
      {"max_inflight", Size(&MountOptions::max_inflight)},
      {"readahead", Size(&MountOptions::readahead_max)},
      {"readahead_initial", Size(&MountOptions::readahead_initial)},
      {"fetch_run", Size(&MountOptions::fetch_run)},
      {"fetch_threads", Int(&MountOptions::fetch_threads, 1, 256)},
      {"max_threads", Int(&MountOptions::max_threads, 1, 1024)},
      {"read_ahead_kb", Int(&MountOptions::read_ahead_kb, 0, 1 << 20)},
      {"uid", Id(&MountOptions::uid)},
      {"gid", Id(&MountOptions::gid)},
      {"log_level", Text(&MountOptions::log_level)},
      {"log_file", Text(&MountOptions::log_file)},
      {"verify", [](MountOptions& o, std::string_view v) -> Status {
         if (v != "crc32c" && v != "sha256") {
           return InvalidArgument("must be crc32c or sha256, got '" + std::string(v) + "'");
         }
         o.verify_by_crc = v == "crc32c";
         return Status::Ok();
       }},
  };
  return *table;
}

// Returns true when `key` (without a value) was an imagefs flag.
bool ApplyFlag(MountOptions& o, std::string_view key) {
  if (key == "debug") {
    o.log_level = "debug";
  } else if (key == "splice") {
    o.splice = true;
  } else if (key == "nosplice") {
    o.splice = false;
  } else if (key == "passthrough") {
    o.passthrough = true;
  } else if (key == "nopassthrough") {
    o.passthrough = false;
  } else {
    return false;
  }
  return true;
}

Status ApplyOption(MountOptions& o, const std::string& opt) {
  size_t eq = opt.find('=');
  std::string_view key = std::string_view(opt).substr(0, eq);
  if (eq == std::string::npos && ApplyFlag(o, key)) return Status::Ok();
  auto it = ValueOptions().find(key);
  if (it != ValueOptions().end()) {
    if (eq == std::string::npos) return InvalidArgument("option '" + opt + "' needs a value");
    return it->second(o, std::string_view(opt).substr(eq + 1))
        .Annotate("option " + std::string(key));
  }
  // Everything else is libfuse's; note the ones imagefs also acts on.
  if (opt == "ro") o.read_only = true;
  if (opt == "rw") o.read_only = false;
  if (opt == "allow_other") o.allow_other = true;
  if (key == "max_read" && eq != std::string::npos) {
    // libfuse wants init() to ask for the same size, or it refuses the mount.
    IMAGEFS_ASSIGN_OR_RETURN(int64_t n, ParseInt(std::string_view(opt).substr(eq + 1), 4096,
                                                 int64_t{1} << 30));
    o.max_read = static_cast<uint32_t>(n);
  }
  o.fuse_options.push_back(opt);
  return Status::Ok();
}

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read token_file '" + path + "'");
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  size_t start = 0;
  while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start]))) ++start;
  if (start == line.size()) return InvalidArgument("token_file '" + path + "' is empty");
  return line.substr(start);
}

std::string Absolute(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) return buf;
  if (!path.empty() && path[0] == '/') return path;
  if (getcwd(buf, sizeof buf) == nullptr) return path;
  return std::string(buf) + "/" + path;
}

Status Validate(MountOptions& o) {
  if (o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0) {
    return InvalidArgument("URL must start with http:// or https://, got '" + o.url + "'");
  }
  while (o.url.size() > 8 && o.url.back() == '/') o.url.pop_back();
  if (o.mountpoint.empty()) return InvalidArgument("missing MOUNTPOINT");
  if (o.readahead_initial == 0 || o.readahead_initial > o.readahead_max) {
    return InvalidArgument("readahead_initial must be in (0, readahead]");
  }
  if (o.fetch_run < (uint64_t{1} << 20)) return InvalidArgument("fetch_run must be >= 1M");
  if (o.max_inflight < 2 * o.fetch_run) {
    return InvalidArgument("max_inflight must be at least twice fetch_run");
  }
  if (o.retry_deadline.count() <= 0) return InvalidArgument("retry_deadline must be > 0");
  if (!o.token_file.empty()) {
    IMAGEFS_ASSIGN_OR_RETURN(o.token, ReadTokenFile(o.token_file));
  }
  o.mountpoint = Absolute(o.mountpoint);
  if (o.cache_dir.empty()) o.cache_dir = DefaultCacheDir();
  o.cache_dir = Absolute(o.cache_dir);
  if (!o.log_file.empty()) o.log_file = Absolute(o.log_file);
  return Status::Ok();
}

// The libfuse options every imagefs mount carries (before the user's, so theirs win).
void AddDefaultFuseOptions(MountOptions& o) {
  std::vector<std::string> defaults = {"fsname=" + o.url, "subtype=imagefs", "default_permissions"};
  o.fuse_options.insert(o.fuse_options.begin(), defaults.begin(), defaults.end());
}

Status ParseArgs(int argc, const char* const* argv, CommandLine& cl) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      cl.show_help = true;
    } else if (a == "-V" || a == "--version") {
      cl.show_version = true;
    } else if (a == "-f") {
      cl.options.foreground = true;
    } else if (a == "-s") {
      cl.options.single_threaded = true;
    } else if (a == "-d") {
      cl.options.fuse_debug = true;
      cl.options.foreground = true;
    } else if (a == "-o" || a.rfind("-o", 0) == 0) {
      std::string_view list = a.size() > 2 ? a.substr(2) : std::string_view();
      if (a == "-o") {
        if (i + 1 >= argc) return InvalidArgument("-o needs an argument");
        list = argv[++i];
      }
      for (const std::string& opt : SplitOptionList(list)) {
        IMAGEFS_RETURN_IF_ERROR(ApplyOption(cl.options, opt));
      }
    } else if (!a.empty() && a[0] == '-') {
      return InvalidArgument("unknown flag '" + std::string(a) + "'");
    } else {
      positional.emplace_back(a);
    }
  }
  if (cl.show_help || cl.show_version) return Status::Ok();
  if (positional.size() != 2) return InvalidArgument("expected URL and MOUNTPOINT");
  cl.options.url = positional[0];
  cl.options.mountpoint = positional[1];
  return Status::Ok();
}

}  // namespace

std::vector<std::string> SplitOptionList(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
    } else if (c == ',') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  std::string t = Lower(text);
  for (std::string_view suffix : {"ib", "b"}) {
    if (t.size() > suffix.size() && t.ends_with(suffix)) {
      t.resize(t.size() - suffix.size());
      break;
    }
  }
  int shift = 0;
  if (!t.empty()) {
    switch (t.back()) {
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      case 'g':
        shift = 30;
        break;
      case 't':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) t.pop_back();
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() ||
      (shift > 0 && v > (UINT64_MAX >> shift))) {
    return InvalidArgument("not a byte size: '" + std::string(text) + "'");
  }
  return v << shift;
}

Result<Millis> ParseDuration(std::string_view text) {
  std::string t = Lower(text);
  double scale = 1000;  // seconds by default
  if (t.ends_with("ms")) {
    scale = 1;
    t.resize(t.size() - 2);
  } else if (!t.empty() && (t.back() == 's' || t.back() == 'm' || t.back() == 'h')) {
    scale = t.back() == 's' ? 1000 : t.back() == 'm' ? 60000 : 3600000;
    t.pop_back();
  }
  auto v = ParseNumber(t);
  if (!v.ok()) return InvalidArgument("not a duration: '" + std::string(text) + "'");
  return Millis(static_cast<int64_t>(std::llround(*v * scale)));
}

std::string DefaultCacheDir() {
  if (geteuid() == 0) return "/var/cache/imagefs";
  if (const char* xdg = getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::string(xdg) + "/imagefs";
  }
  if (const char* home = getenv("HOME"); home != nullptr && *home == '/') {
    return std::string(home) + "/.cache/imagefs";
  }
  return "/tmp/imagefs-cache-" + std::to_string(geteuid());
}

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv) {
  CommandLine cl;
  cl.options.uid = getuid();
  cl.options.gid = getgid();
  IMAGEFS_RETURN_IF_ERROR(ParseArgs(argc, argv, cl));
  if (cl.show_help || cl.show_version) return cl;
  IMAGEFS_RETURN_IF_ERROR(Validate(cl.options));
  AddDefaultFuseOptions(cl.options);
  return cl;
}

std::string UsageText(std::string_view program) {
  std::string p(program);
  return "usage: " + p + R"( URL MOUNTPOINT [-f] [-d] [-s] [-o opt[,opt...]]

Mounts the image catalog of an OpenStack Images API v2 service (imaged or Glance).

  -f                     stay in the foreground
  -d                     libfuse request trace (implies -f)
  -s                     single-threaded (debugging)
  -o token=T             X-Auth-Token for every request
  -o token_file=F        read the token from the first line of F
  -o project=P           the token's project (backups/ needs it)
  -o cache_dir=DIR       block cache and persistent state (default )" +
         DefaultCacheDir() + R"()
  -o cache_size=BYTES    block cache size, e.g. 20G (default 10G)
  -o cache_min_free=B    free space to leave on the cache filesystem (default 1G)
  -o list_ttl=T          serve listings younger than T without asking (default 1s)
  -o attr_ttl=T          kernel entry/attribute cache time (default 1s)
  -o resync_interval=T   full relisting at most this far apart (default 60s)
  -o sync_wait=T         longest wait for a refresh before answering (default 1s)
  -o retry_deadline=T    retry reads and metadata until T, then EIO (default 30s)
  -o connect_timeout=T   per attempt (default 3s)
  -o stall_timeout=T     abandon an attempt idle this long (default 10s)
  -o max_inflight=BYTES  memory for fetches in flight (default 64M)
  -o readahead=BYTES     largest read-ahead window per open file (default 64M)
  -o readahead_initial=B first window of a sequential stream (default 1M)
  -o fetch_run=BYTES     largest HTTP range for read-ahead (default 8M)
  -o fetch_threads=N     parallel read-ahead fetches (default 8)
  -o max_threads=N       FUSE worker threads (default 64)
  -o read_ahead_kb=N     kernel read-ahead of the mount (default 1024; 0 = leave)
  -o splice|nosplice     splice cache hits to the kernel (default nosplice)
  -o passthrough|nopassthrough  let the kernel read wholly cached images straight
                         from the cache (default passthrough, where the kernel can)
  -o verify=crc32c|sha256  check fetched blocks by the CRC-32C imaged recorded
                         (default; SHA-256 where there is none) or by SHA-256
  -o uid=N,gid=N         owner of all files (default: the mounting user)
  -o debug               debug logging (also IMAGEFS_LOG=debug)
  -o log_level=L         trace|debug|info|warn|error|off
  -o log_file=F          when daemonized, log to F
  -o allow_other, ro, ... any other option goes to FUSE (see mount.fuse3(8))
)";
}

}  // namespace imagefs::fs
