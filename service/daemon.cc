#include "service/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/log.h"
#include "common/wire/image_codec.h"
#include "service/api/app.h"
#include "service/api/recovery.h"
#include "service/auth/authenticator.h"
#include "service/auth/keystone_authenticator.h"
#include "service/api/imports.h"
#include "service/api/task_runner.h"
#include "service/backup/backup_system.h"
#include "service/daemon_stores.h"
#include "service/http/server.h"

namespace imagefs::service {
namespace json = boost::json;

namespace {

Result<uint64_t> ParseU64(std::string_view flag, std::string_view v) {
  uint64_t out = 0;
  if (v.empty()) return InvalidArgument(std::string(flag) + " needs a number");
  for (char c : v) {
    if (c < '0' || c > '9') return InvalidArgument(std::string(flag) + ": not a number: " + std::string(v));
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return out;
}

Result<bool> ParseBool(std::string_view flag, std::string_view v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return InvalidArgument(std::string(flag) + ": expected true or false, got " + std::string(v));
}

// Applies one key (flag name without dashes) to the options.
Status Apply(DaemonOptions& o, std::string_view key, std::string_view value) {
  if (key == "listen") {
    o.listen = value;
  } else if (key == "data-dir") {
    o.data_dir = value;
  } else if (key == "backup-dir") {
    o.backup_dir = value;
  } else if (key == "tokens") {
    o.tokens_file = value;
  } else if (key == "keystone") {
    o.keystone_file = value;
  } else if (key == "port-file") {
    o.port_file = value;
  } else if (key == "log-level") {
    o.log_level = value;
  } else if (key == "max-connections") {
    IMAGEFS_ASSIGN_OR_RETURN(uint64_t n, ParseU64("--max-connections", value));
    o.max_connections = n;
  } else if (key == "image-size-cap") {
    IMAGEFS_ASSIGN_OR_RETURN(o.image_size_cap, ParseU64("--image-size-cap", value));
  } else if (key == "fsync") {
    IMAGEFS_ASSIGN_OR_RETURN(o.fsync, ParseBool("--fsync", value));
  } else if (Result<bool> store_option = ApplyStoreOption(o, key, value); !store_option.ok()) {
    return store_option.status();
  } else if (*store_option) {
    // a store or import option (service/daemon_stores.h)
  } else {
    return InvalidArgument("unknown option --" + std::string(key));
  }
  return Status::Ok();
}

Status ApplyConfigFile(DaemonOptions& o, const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read config file " + path);
  std::stringstream s;
  s << in.rdbuf();
  IMAGEFS_ASSIGN_OR_RETURN(json::value doc, wire::ParseJson(s.str()));
  if (!doc.is_object()) return InvalidArgument("config file " + path + ": not a JSON object");
  for (const auto& kv : doc.get_object()) {
    std::string value = kv.value().is_string() ? std::string(kv.value().get_string())
                                               : json::serialize(kv.value());
    IMAGEFS_RETURN_IF_ERROR(Apply(o, kv.key(), value).Annotate("config file " + path));
  }
  return Status::Ok();
}

// An exclusive lock on <data_dir>/imaged.lock for the life of the process: two
// daemons on one data directory would corrupt each other's recovery.
Result<int> LockDataDir(const std::string& dir) {
  std::string path = dir + "/imaged.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, "open " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return FailedPrecondition("another imaged is using " + dir);
  }
  return fd;
}

Status WritePortFile(const std::string& path, uint16_t port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out) return Internal("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus(errno, "rename " + tmp);
  return Status::Ok();
}

int WaitForStopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace

std::string DaemonUsage() {
  return "usage: imaged [--listen HOST:PORT] --data-dir DIR [--tokens FILE | --keystone FILE]\n"
         "              [--port-file FILE]\n"
         "              [--config FILE] [--max-connections N] [--image-size-cap BYTES]\n"
         "              [--backup-dir DIR]\n"
         "              [--fsync true|false] [--log-level debug|info|warn|error]\n"
         "              [--stores ID:DIR,...] [--default-store ID] [--import-methods LIST]\n"
         "              [--allowed-hosts LIST] [--show-multiple-locations true|false]\n"
         "              [--show-image-direct-url true|false] [--image-cache true|false]\n";
}

Result<DaemonOptions> ParseDaemonArgs(int argc, char** argv, bool* help) {
  DaemonOptions o;
  *help = false;
  std::vector<std::pair<std::string, std::string>> flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      *help = true;
      return o;
    }
    if (a.substr(0, 2) != "--") return InvalidArgument("unexpected argument: " + std::string(a));
    a.remove_prefix(2);
    size_t eq = a.find('=');
    if (eq != std::string_view::npos) {
      flags.emplace_back(std::string(a.substr(0, eq)), std::string(a.substr(eq + 1)));
    } else if (i + 1 < argc) {
      flags.emplace_back(std::string(a), argv[++i]);
    } else {
      return InvalidArgument("--" + std::string(a) + " needs a value");
    }
  }
  for (const auto& [k, v] : flags) {
    if (k == "config") IMAGEFS_RETURN_IF_ERROR(ApplyConfigFile(o, v));
  }
  for (const auto& [k, v] : flags) {
    if (k != "config") IMAGEFS_RETURN_IF_ERROR(Apply(o, k, v));
  }
  return o;
}

Status Validate(const DaemonOptions& o) {
  if (o.data_dir.empty()) return InvalidArgument("--data-dir is required");
  if (o.listen.find(':') == std::string::npos) {
    return InvalidArgument("--listen wants HOST:PORT, got " + o.listen);
  }
  if (o.max_connections == 0) return InvalidArgument("--max-connections must be at least 1");
  if (!o.tokens_file.empty() && !o.keystone_file.empty()) {
    return InvalidArgument("--tokens and --keystone exclude each other");
  }
  if (!o.log_level.empty() && !IsValidLogLevel(o.log_level)) {
    return InvalidArgument("--log-level: unknown level " + o.log_level);
  }
  return Status::Ok();
}

int RunDaemon(const DaemonOptions& options) {
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto fail = [](const Status& s) {
    IMAGEFS_LOG(ERROR, "imaged cannot start: {}", s.ToString());
    return 1;
  };
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return fail(Internal("cannot create " + options.data_dir + ": " + ec.message()));
  Result<int> lock = LockDataDir(options.data_dir);
  if (!lock.ok()) return fail(lock.status());

  RocksCatalogOptions copts;
  copts.path = options.data_dir + "/catalog";
  copts.sync = options.fsync;
  Result<std::unique_ptr<Catalog>> catalog = OpenRocksCatalog(copts);
  if (!catalog.ok()) return fail(catalog.status());
  Result<StoreBundle> stores = OpenStores(options);
  if (!stores.ok()) return fail(stores.status());
  StoreSet& store = *stores->stores;  // every store, as one ImageStore

  Clock& clock = SystemClock::Get();
  Result<api::RecoveryReport> recovered = api::Recover(**catalog, store, clock);
  if (!recovered.ok()) return fail(recovered.status());
  IMAGEFS_LOG(INFO, "catalog: {} images; recovery: {} reset to queued, {} orphans removed",
              (*catalog)->ImageCount(), recovered->reset_to_queued, recovered->orphans_removed);
  if (Status s = api::RecoverImports(**catalog, clock); !s.ok()) return fail(s);

  std::unique_ptr<auth::Authenticator> authenticator;
  auth::EndpointCatalog* endpoints = nullptr;  // Keystone's catalog (glance-download)
  if (!options.keystone_file.empty()) {
    Result<auth::KeystoneOptions> k = auth::LoadKeystoneOptions(options.keystone_file);
    if (!k.ok()) return fail(k.status());
    auto keystone = std::make_unique<auth::KeystoneAuthenticator>(std::move(*k), clock);
    if (Status s = keystone->LogIn(); !s.ok()) {
      IMAGEFS_LOG(WARN, "keystone mode: not logged in yet ({}); requests answer 503 until "
                        "Keystone is reachable", s.message());
    }
    endpoints = keystone.get();
    authenticator = std::move(keystone);
  } else if (options.tokens_file.empty()) {
    authenticator = auth::NewDemoAuthenticator(auth::DemoIdentity());
    IMAGEFS_LOG(WARN, "no --tokens: demo mode, every request acts as project 'demo' (admin)");
  } else {
    Result<std::unique_ptr<auth::Authenticator>> a = auth::LoadTokensFile(options.tokens_file);
    if (!a.ok()) return fail(a.status());
    authenticator = std::move(*a);
  }

  backup::BackupSystemOptions bopts;
  bopts.catalog_dir = options.data_dir + "/backups-db";
  bopts.store_dir = options.backup_dir.empty() ? options.data_dir + "/backups" : options.backup_dir;
  bopts.fsync = options.fsync;
  Result<std::unique_ptr<backup::BackupSystem>> backups =
      backup::StartBackupSystem(bopts, **catalog, store, clock);
  if (!backups.ok()) return fail(backups.status());

  api::ServiceContext ctx{**catalog, store, clock, {}};
  ctx.backups = (*backups)->service.get();
  ctx.endpoints = endpoints;
  ctx.config.image_size_cap = options.image_size_cap;
  ConfigureContext(options, *stores, endpoints != nullptr, ctx);
  api::TaskRunner tasks;  // destroyed (joined) before ctx
  ctx.tasks = &tasks;
  api::ImagedApp app(ctx, std::move(authenticator));

  http::ServerOptions server_options;
  server_options.listen = options.listen;
  server_options.max_connections = options.max_connections;
  Result<std::unique_ptr<http::Server>> server = http::Server::Start(
      server_options, [&app](http::Request& req) { return app.Handle(req); });
  if (!server.ok()) return fail(server.status());
  uint16_t port = (*server)->port();
  if (!options.port_file.empty()) {
    if (Status s = WritePortFile(options.port_file, port); !s.ok()) return fail(s);
  }
  IMAGEFS_LOG(INFO, "imaged listening on {}:{} (data in {})",
              options.listen.substr(0, options.listen.rfind(':')), port, options.data_dir);

  int sig = WaitForStopSignal();
  IMAGEFS_LOG(INFO, "signal {}: shutting down", sig);
  (*server)->Shutdown();
  ::close(*lock);
  return 0;
}

}  // namespace imagefs::service
