// Result<T>: a value or a non-OK Status (std::expected<T, Status> once we move to C++23).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "common/status.h"

namespace imagefs {

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose, so that `return value;` and `return NotFound(...);` both work.
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }

  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The value, or `fallback` when not ok().
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace imagefs

#define IMAGEFS_CONCAT_INNER(a, b) a##b
#define IMAGEFS_CONCAT(a, b) IMAGEFS_CONCAT_INNER(a, b)

// IMAGEFS_ASSIGN_OR_RETURN(Type var, expr): evaluates expr (a Result<T>), returns its
// Status on error, else declares/assigns `var` from the moved value.
#define IMAGEFS_ASSIGN_OR_RETURN(lhs, expr) \
  IMAGEFS_ASSIGN_OR_RETURN_IMPL(IMAGEFS_CONCAT(_imagefs_result_, __COUNTER__), lhs, expr)

#define IMAGEFS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
