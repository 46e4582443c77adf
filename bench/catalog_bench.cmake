imagefs_add_benchmark(NAME catalog_bench
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/catalog_bench.cc
  DEPS imagefs_service_catalog)
