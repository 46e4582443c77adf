// imaged: the imagefs image service (OpenStack Images API). See README.md.
#include <cstdio>

#include "common/log.h"
#include "service/daemon.h"

int main(int argc, char** argv) {
  using namespace imagefs;
  bool help = false;
  Result<service::DaemonOptions> options = service::ParseDaemonArgs(argc, argv, &help);
  if (help) {
    std::fputs(service::DaemonUsage().c_str(), stdout);
    return 0;
  }
  Status valid = options.ok() ? service::Validate(*options) : options.status();
  if (!valid.ok()) {
    std::fprintf(stderr, "imaged: %s\n%s", valid.message().c_str(), service::DaemonUsage().c_str());
    return 2;
  }
  InitLogging("imaged", options->log_level);
  return service::RunDaemon(*options);
}
