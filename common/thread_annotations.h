// Clang thread-safety annotations (no-ops under GCC).
#pragma once

#if defined(__clang__)
#define IMAGEFS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define IMAGEFS_THREAD_ANNOTATION(x)
#endif

#define GUARDED_BY(x) IMAGEFS_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) IMAGEFS_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) IMAGEFS_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) IMAGEFS_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
