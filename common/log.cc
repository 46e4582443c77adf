#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>
#include <string>

namespace imagefs {
namespace {

spdlog::level::level_enum ParseLevel(std::string_view s) {
  if (s == "trace") return spdlog::level::trace;
  if (s == "debug") return spdlog::level::debug;
  if (s == "warn" || s == "warning") return spdlog::level::warn;
  if (s == "error") return spdlog::level::err;
  if (s == "off") return spdlog::level::off;
  return spdlog::level::info;
}

}  // namespace

bool IsValidLogLevel(std::string_view s) {
  return s == "trace" || s == "debug" || s == "info" || s == "warn" || s == "warning" ||
         s == "error" || s == "off";
}

void InitLogging(std::string_view program, std::string_view level) {
  std::string lvl(level);
  if (lvl.empty()) {
    const char* env = std::getenv("IMAGEFS_LOG");
    lvl = env != nullptr ? env : "info";
  }
  auto logger = spdlog::stderr_logger_mt(std::string(program));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %n[%t] %v", spdlog::pattern_time_type::utc);
  logger->set_level(ParseLevel(lvl));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace imagefs
