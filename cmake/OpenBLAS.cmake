# OpenBLAS as the imported target MS::OpenBLAS. pkg-config gives the paths on Debian; without it
# (the GPU machine, where the Debian package travels unpacked under CMAKE_PREFIX_PATH) the header
# and library are searched in Debian's openblas-pthread folders.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_OPENBLAS QUIET openblas)
endif()
find_path(OPENBLAS_INCLUDE_DIR cblas.h
  HINTS ${PC_OPENBLAS_INCLUDE_DIRS}
  PATH_SUFFIXES openblas-pthread x86_64-linux-gnu/openblas-pthread aarch64-linux-gnu/openblas-pthread openblas)
find_library(OPENBLAS_LIBRARY NAMES openblas
  HINTS ${PC_OPENBLAS_LIBRARY_DIRS}
  PATH_SUFFIXES openblas-pthread x86_64-linux-gnu/openblas-pthread aarch64-linux-gnu/openblas-pthread)
if(NOT OPENBLAS_INCLUDE_DIR OR NOT OPENBLAS_LIBRARY)
  message(FATAL_ERROR "OpenBLAS not found (cblas.h: ${OPENBLAS_INCLUDE_DIR}, library: ${OPENBLAS_LIBRARY}); "
                      "install libopenblas-dev (scripts/install-deps)")
endif()
add_library(MS::OpenBLAS INTERFACE IMPORTED)
target_include_directories(MS::OpenBLAS INTERFACE "${OPENBLAS_INCLUDE_DIR}")
target_link_libraries(MS::OpenBLAS INTERFACE "${OPENBLAS_LIBRARY}")
message(STATUS "OpenBLAS: ${OPENBLAS_LIBRARY}")
