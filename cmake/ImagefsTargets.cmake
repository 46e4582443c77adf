# Helpers that give every target of the project the same flags.
#
#   imagefs_add_library(NAME cache SRCS a.cc b.cc DEPS imagefs_common PRIVATE_DEPS OpenSSL::Crypto)
#     -> static library imagefs_cache, includes from the repository root.
#   imagefs_add_executable(NAME imaged SRCS main.cc DEPS imagefs_service)
#   imagefs_add_test(NAME cache_test SRCS t.cc DEPS imagefs_cache LABEL unit TIMEOUT 60)

set(IMAGEFS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)

function(_imagefs_common_flags target)
  target_compile_options(${target} PRIVATE ${IMAGEFS_WARNINGS})
  if(IMAGEFS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

if(IMAGEFS_SANITIZE)
  string(REPLACE ";" "," _san "${IMAGEFS_SANITIZE}")
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_san})
endif()

function(imagefs_add_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(imagefs_${A_NAME} STATIC ${A_SRCS})
  _imagefs_common_flags(imagefs_${A_NAME})
  target_link_libraries(imagefs_${A_NAME} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
endfunction()

function(imagefs_add_executable)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  _imagefs_common_flags(${A_NAME})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
endfunction()

# A GoogleTest binary whose tests are registered one by one with CTest,
# carrying LABEL (unit, integration, mount) and a TIMEOUT in seconds.
function(imagefs_add_test)
  cmake_parse_arguments(A "" "NAME;LABEL;TIMEOUT" "SRCS;DEPS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 60)
  endif()
  add_executable(${A_NAME} ${A_SRCS})
  _imagefs_common_flags(${A_NAME})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${A_NAME}
    PROPERTIES LABELS ${A_LABEL} TIMEOUT ${A_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
