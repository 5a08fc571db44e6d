# libBigWig (Debian's libbigwig-dev) as the imported target MS::LibBigWig: the bigWig writer of
# `export --format bigwig` (genomics/bigwig_writer.*). Debian ships no pkg-config file for it, so
# the header and library are searched directly. Its header includes <curl/curl.h> (the library can
# read remote files), so libcurl's headers must be present too (libcurl4-gnutls-dev).
find_path(LIBBIGWIG_INCLUDE_DIR bigWig.h)
find_library(LIBBIGWIG_LIBRARY NAMES BigWig)
find_path(LIBBIGWIG_CURL_INCLUDE_DIR curl/curl.h)
if(NOT LIBBIGWIG_INCLUDE_DIR OR NOT LIBBIGWIG_LIBRARY OR NOT LIBBIGWIG_CURL_INCLUDE_DIR)
  message(FATAL_ERROR "libBigWig not found (bigWig.h: ${LIBBIGWIG_INCLUDE_DIR}, library: ${LIBBIGWIG_LIBRARY}, "
                      "curl/curl.h: ${LIBBIGWIG_CURL_INCLUDE_DIR}); install libbigwig-dev and libcurl4-gnutls-dev "
                      "(scripts/install-deps)")
endif()
add_library(MS::LibBigWig INTERFACE IMPORTED)
target_include_directories(MS::LibBigWig INTERFACE "${LIBBIGWIG_INCLUDE_DIR}" "${LIBBIGWIG_CURL_INCLUDE_DIR}")
target_link_libraries(MS::LibBigWig INTERFACE "${LIBBIGWIG_LIBRARY}")
message(STATUS "libBigWig: ${LIBBIGWIG_LIBRARY}")
