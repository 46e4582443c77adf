// A thin logging facade over spdlog: IMAGEFS_LOG(INFO, "image {} active", id).
// Output goes to stderr. Never log tokens, passwords or request bodies.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace imagefs {

// Sets the level from `level` ("debug", "info", "warn", "error", "off"), or from the
// IMAGEFS_LOG environment variable when `level` is empty. Default: info.
void InitLogging(std::string_view program, std::string_view level = "");

// Makes a level name understood by InitLogging, for --log-level validation.
bool IsValidLogLevel(std::string_view level);

}  // namespace imagefs

#define IMAGEFS_LOG_DEBUG(...) SPDLOG_LOGGER_DEBUG(spdlog::default_logger_raw(), __VA_ARGS__)
#define IMAGEFS_LOG_INFO(...) SPDLOG_LOGGER_INFO(spdlog::default_logger_raw(), __VA_ARGS__)
#define IMAGEFS_LOG_WARN(...) SPDLOG_LOGGER_WARN(spdlog::default_logger_raw(), __VA_ARGS__)
#define IMAGEFS_LOG_ERROR(...) SPDLOG_LOGGER_ERROR(spdlog::default_logger_raw(), __VA_ARGS__)
#define IMAGEFS_LOG(level, ...) IMAGEFS_LOG_##level(__VA_ARGS__)
