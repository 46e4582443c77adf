# The image codecs: the v2 JSON form (common/wire) and the catalog's record form.
imagefs_add_benchmark(NAME codec_bench
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/codec_bench.cc
  DEPS imagefs_wire imagefs_service_catalog)
