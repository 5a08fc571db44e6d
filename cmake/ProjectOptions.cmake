# Compile options every MambaScope target gets, applied per target (no global flags).
add_library(ms_project_options INTERFACE)
target_compile_features(ms_project_options INTERFACE cxx_std_20)
target_compile_options(ms_project_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers>)
if(MAMBASCOPE_SANITIZE)
  target_compile_options(ms_project_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
  target_link_options(ms_project_options INTERFACE -fsanitize=address,undefined)
endif()
# Fuzzing (tests/fuzz): every library gets libFuzzer's coverage instrumentation plus ASan and UBSan,
# so a finding in any layer a parser reaches stops the run; only the fuzz targets link the fuzzer.
if(MAMBASCOPE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MAMBASCOPE_FUZZ needs clang (libFuzzer); configure with the 'fuzz' preset")
  endif()
  target_compile_options(ms_project_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
  target_link_options(ms_project_options INTERFACE -fsanitize=address,undefined)
endif()
set(CMAKE_CXX_EXTENSIONS OFF)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
