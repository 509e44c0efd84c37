# One malformed.cli.<CASE> test: make the bad input, run
#   CAPVM run --config CONFIG FILE
# and require exit status 127 with exactly one stderr line that starts with
# "capvm: " and names FILE. Inputs: CAPVM MUTATE GUEST WORK CASE.
file(MAKE_DIRECTORY ${WORK})
set(config ${WORK}/config.yaml)
file(WRITE ${config} "%TAG ! tag:nuxi.nl,2015:cloudabi/\n---\n- !fd stdout\n")

# The base image: the real guest when the guest SDK built it, otherwise the
# test builder's synthetic one.
if(EXISTS ${GUEST})
  set(base ${GUEST})
else()
  set(base -)
endif()

set(file ${WORK}/${CASE}.elf)
if(CASE STREQUAL "nonexistent")
  set(file ${WORK}/does-not-exist)
  file(REMOVE ${file})
elseif(CASE STREQUAL "directory")
  set(file ${WORK}/a-directory)
  file(MAKE_DIRECTORY ${file})
elseif(CASE STREQUAL "linux_elf")
  set(file /bin/true)
else()
  execute_process(COMMAND ${MUTATE} ${CASE} ${base} ${file} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "generating ${CASE} failed")
  endif()
endif()

if(NOT EXISTS ${CAPVM})
  message(FATAL_ERROR "${CAPVM} is not built")
endif()
execute_process(COMMAND ${CAPVM} run --config ${config} ${file}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
message(STATUS "exit ${rc}, stderr: ${err}")
if(NOT rc STREQUAL "127")
  message(FATAL_ERROR "${CASE}: expected exit status 127, got '${rc}'")
endif()
string(REGEX MATCHALL "\n" newlines "${err}")
list(LENGTH newlines lines)
if(NOT lines EQUAL 1 OR NOT err MATCHES "\n$")
  message(FATAL_ERROR "${CASE}: expected exactly one line on stderr, got:\n${err}")
endif()
string(FIND "${err}" "capvm: ${file}" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "${CASE}: stderr does not start with 'capvm: ${file}': ${err}")
endif()
