# Run at build time (not only at configure time), so --version names the revision actually built.
# configure_file rewrites the header only when its text changes, so unchanged builds stay incremental.
set(MAMBASCOPE_GIT_REVISION "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty --abbrev=10
                  WORKING_DIRECTORY "${SOURCE_DIR}"
                  OUTPUT_VARIABLE _rev OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0 AND _rev)
    set(MAMBASCOPE_GIT_REVISION "${_rev}")
  endif()
endif()
configure_file("${INPUT}" "${OUTPUT}" @ONLY)
