# http_bench: Google Benchmark cases for imaged's HTTP layer (upload body reads,
# sendfile downloads, small keep-alive GETs over loopback), and a `serve` mode that
# runs the same handlers for wrk/curl comparisons (see the top of http_bench.cc).
# Own main(), so it links benchmark::benchmark without benchmark_main.
add_executable(http_bench ${CMAKE_CURRENT_SOURCE_DIR}/http_bench.cc)
target_include_directories(http_bench PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_options(http_bench PRIVATE ${IMAGEFS_WARNINGS})
target_link_libraries(http_bench PRIVATE imagefs_service_http benchmark::benchmark)
