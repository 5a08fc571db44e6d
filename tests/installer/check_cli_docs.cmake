# Fails when the committed docs/cli.md differs from what the CLI renders from its command tree now
# (an option, description or example changed without regenerating the reference).
execute_process(COMMAND "${CLI}" reference --format markdown --output "${OUT}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mambascope-cli reference --format markdown failed (${rc}): ${err}")
endif()
file(READ "${DOC}" committed)
file(READ "${OUT}" rendered)
if(NOT committed STREQUAL rendered)
  execute_process(COMMAND diff -u "${DOC}" "${OUT}" OUTPUT_VARIABLE difference)
  message(FATAL_ERROR "docs/cli.md is not what the CLI's --help says now; regenerate it from the source folder with\n"
                      "  ${CLI} reference --format markdown --output docs/cli.md\n"
                      "and commit it. Difference (committed -> rendered):\n${difference}")
endif()
