imagefs_add_benchmark(NAME cache_bench SRCS ${CMAKE_CURRENT_SOURCE_DIR}/cache_bench.cc DEPS imagefs_cache)
