// Status: the outcome of a fallible operation, as in LevelDB and Abseil.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace imagefs {

// Canonical codes (Abseil's set). Each edge maps them in one place:
// service/http/error_mapping.cc to HTTP, fs/fuse_adapter.cc to errno.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,     // 400 / EINVAL
  kUnauthenticated,     // 401 / EACCES
  kPermissionDenied,    // 403 / EACCES or EPERM
  kNotFound,            // 404 / ENOENT
  kAlreadyExists,       // 409 / EEXIST
  kFailedPrecondition,  // 409 / EBUSY or EPERM
  kResourceExhausted,   // 413 / ENOSPC
  kUnsupportedMedia,    // 415 / EINVAL (HTTP-specific: wrong Content-Type or body format)
  kOutOfRange,          // 416 / EINVAL
  kUnavailable,         // 503 / EIO after retries
  kDeadlineExceeded,    // 504 / EIO
  kDataLoss,            // 500 / EIO (digest mismatch after refetch)
  kUnimplemented,       // 501 / ENOTSUP
  kInternal,            // 500 / EIO
  kCancelled,           // the caller went away (client disconnect)
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NotFound: no image with id X" or "OK".
  std::string ToString() const;

  // Returns a copy whose message is `context + ": " + message()`.
  Status Annotate(std::string_view context) const;

  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status UnsupportedMedia(std::string m) { return {StatusCode::kUnsupportedMedia, std::move(m)}; }
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }

// errno of a failed system call, as a Status: ENOENT -> NotFound, ENOSPC/EDQUOT ->
// ResourceExhausted, EACCES/EPERM -> PermissionDenied, everything else -> Internal.
Status ErrnoStatus(int err, std::string_view context);

}  // namespace imagefs

#define IMAGEFS_STATUS_CONCAT_INNER(a, b) a##b
#define IMAGEFS_STATUS_CONCAT(a, b) IMAGEFS_STATUS_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define IMAGEFS_RETURN_IF_ERROR(expr) \
  IMAGEFS_RETURN_IF_ERROR_IMPL(IMAGEFS_STATUS_CONCAT(_imagefs_status_, __COUNTER__), expr)

#define IMAGEFS_RETURN_IF_ERROR_IMPL(var, expr) \
  do {                                          \
    ::imagefs::Status var = (expr);             \
    if (!var.ok()) return var;                  \
  } while (0)
