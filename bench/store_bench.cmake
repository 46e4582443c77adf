# Upload throughput of the image store against the md5 || sha512 baseline.
imagefs_add_benchmark(NAME store_bench
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/store_bench.cc
  DEPS imagefs_service_store)
