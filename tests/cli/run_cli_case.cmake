# One cli.e2e.<CASE> test through build/capvm: `capvm explain` for each tag,
# the examples of cloudabi-run.1 unchanged, options from CAPVM_* variables,
# --help and --version. Inputs: CAPVM SRC WORK CASE SEQ_HELLO HELLO.
set(work ${WORK}/${CASE})
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})
set(tag "%TAG ! tag:nuxi.nl,2015:cloudabi/\n---\n")
set(cfg ${work}/cfg.yaml)
set(stdin_file /dev/null)
set(expect_rc 0)
set(expect_out "")      # substrings of stdout, in order
set(expect_err "")      # substrings of stderr
set(exact_out "")       # when set, stdout must equal it

macro(need_file path)
  if(NOT EXISTS ${path})
    message(FATAL_ERROR "${path} is not built")
  endif()
endmacro()

if(CASE STREQUAL "explain_fd")
  file(WRITE ${cfg} "${tag}out: !fd stdout\nerr: !fd stderr\nagain: !fd stdout\n")
  set(args explain ${cfg})
  set(exact_out "")
  set(expect_out "argdata (" "  map\n    \"out\": fd 0\n    \"err\": fd 1\n    \"again\": fd 0\n"
    "descriptors:\n  fd 0: " ", !fd stdout (host fd 1)\n    base:       " "fd_write"
    "\n    inheriting: " "\n  fd 1: " "!fd stderr (host fd 2)")
elseif(CASE STREQUAL "explain_file_ro")
  file(MAKE_DIRECTORY ${work}/site)
  file(WRITE ${cfg} "${tag}root: !file {path: ${work}/site}\n")
  set(args explain ${cfg})
  set(expect_out "  fd 0: directory, !file ${work}/site (ro)\n"
    "    base:       fd_stat_put_flags|file_open|file_readdir|file_readlink|file_stat_fget|file_stat_get\n"
    "    inheriting: fd_read|fd_seek|fd_stat_put_flags|fd_tell|file_advise|file_open|file_readdir|file_readlink|file_stat_fget|file_stat_get|mem_map|mem_map_exec|poll_fd_readwrite|proc_exec|sock_shutdown\n")
elseif(CASE STREQUAL "explain_file_rw")
  file(MAKE_DIRECTORY ${work}/data)
  file(WRITE ${cfg} "${tag}data: !file {path: ${work}/data, mode: rw}\n")
  set(args explain ${cfg})
  set(expect_out "directory, !file ${work}/data (rw)\n" "file_create_file" "file_unlink")
elseif(CASE STREQUAL "explain_file_rights")
  file(WRITE ${work}/in.txt "x")
  file(WRITE ${cfg} "${tag}in: !file {path: ${work}/in.txt, rights: [fd_read, file_stat_fget]}\n")
  set(args explain ${cfg})
  set(expect_out "  fd 0: regular_file, !file ${work}/in.txt (ro, explicit rights)\n"
    "    base:       fd_read|file_stat_fget\n    inheriting: 0\n")
elseif(CASE STREQUAL "explain_socket")
  file(WRITE ${cfg} "${tag}- !socket {bind: \"127.0.0.1:0\"}\n- !socket {bind: ${work}/s.sock}\n"
    "- !socket {connect: ${work}/s.sock, mode: ro}\n- !socket {bind: \"127.0.0.1:0\", type: dgram}\n")
  set(args explain ${cfg})
  set(expect_out "  fd 0: socket_stream, !socket bind 127.0.0.1:" "stream (rw): connection source"
    "    base:       fd_read|fd_stat_put_flags|file_stat_fget|poll_fd_readwrite|sock_shutdown\n"
    "  fd 1: socket_stream, !socket bind ${work}/s.sock stream (rw): connection source"
    "  fd 2: socket_stream, !socket connect ${work}/s.sock stream (ro)\n"
    "    base:       fd_read|fd_stat_put_flags|file_stat_fget|poll_fd_readwrite|sock_shutdown\n"
    "  fd 3: socket_dgram, !socket bind 127.0.0.1:" " dgram (rw)\n"
    "    base:       fd_read|fd_stat_put_flags|fd_write|")
elseif(CASE STREQUAL "explain_executable")
  need_file(${HELLO})
  file(WRITE ${cfg} "${tag}exe: !executable\n")
  set(args explain ${cfg} ${HELLO})
  set(expect_out "  fd 0: regular_file, !executable ${HELLO}\n"
    "    base:       fd_read|fd_seek|fd_stat_put_flags|fd_tell|file_advise|file_stat_fget|mem_map|mem_map_exec|poll_fd_readwrite|proc_exec\n")
elseif(CASE STREQUAL "explain_scalars")
  file(WRITE ${cfg} "${tag}- ~\n- true\n- 255\n- -16\n- -0x10\n- 1.5\n- \"s\"\n- !!binary aGk=\n"
    "- !!timestamp 2001-12-14t21:59:43.10-05:00\n- {a: [], 1: {}}\n")
  set(args explain ${cfg})
  string(CONCAT exact_out "argdata (61 bytes):\n  seq\n    - null\n    - bool true\n    - int 255\n    - int -16\n"
    "    - string \"-0x10\"\n"
    "    - float 1.5\n    - string \"s\"\n    - binary (2 bytes) 6869\n"
    "    - timestamp 2001-12-15T02:59:43.100000000Z\n    - map\n      \"a\": seq []\n"
    "      int 1: map {}\ndescriptors: none\n")
elseif(CASE STREQUAL "explain_stdin")
  file(WRITE ${cfg} "${tag}answer: 42\n")
  set(stdin_file ${cfg})
  set(args explain -)
  set(exact_out "argdata (13 bytes):\n  map\n    \"answer\": int 42\ndescriptors: none\n")
elseif(CASE STREQUAL "explain_errors")
  file(WRITE ${cfg} "${tag}a: !file {path: /tmp, rights: [file_open, file_opne]}\n")
  set(args explain ${cfg})
  set(expect_rc 127)
  set(expect_err "capvm: ${cfg}: line 3, column 43: unknown right 'file_opne'")
elseif(CASE STREQUAL "compat_hello_explain")
  set(args explain ${SRC}/compat/hello.yaml)
  set(expect_out "  seq\n    - fd 0\n    - fd 0\n    - fd 0\ndescriptors:\n  fd 0: "
    "!fd stdout (host fd 1)\n")
elseif(CASE STREQUAL "compat_hello_run")
  need_file(${SEQ_HELLO})
  set(args run ${SEQ_HELLO})
  set(stdin_file ${SRC}/compat/hello.yaml)
  set(exact_out "Hello, world\nHello, world\nHello, world\n")
elseif(CASE STREQUAL "compat_webserver")
  set(args explain ${SRC}/compat/webserver.yaml)
  set(expect_rc 127)
  set(expect_err "capvm: ${SRC}/compat/webserver.yaml: line 3, column 1: !flower_switchboard_handle"
    "!socket {bind: ADDR}")
elseif(CASE STREQUAL "env_options")
  need_file(${HELLO})
  set(ENV{CAPVM_TIMEOUT} "10s")
  set(ENV{CAPVM_MAX_THREADS} "4")
  set(ENV{CAPVM_CONFIG} "${SRC}/../../examples/hello/hello.yaml")
  set(args run ${HELLO})
  set(expect_out "Hello, world!\n")
elseif(CASE STREQUAL "env_bad")
  set(ENV{CAPVM_MAX_MEMORY} "lots")
  set(args run ${work}/none)
  set(expect_rc 127)
  set(expect_err "capvm: environment variable CAPVM_MAX_MEMORY: --max-memory takes a size such as 512M")
elseif(CASE STREQUAL "flag_beats_env")
  set(ENV{CAPVM_TIMEOUT} "bogus")
  set(args run --timeout=1s ${work}/none)
  set(expect_rc 127)
  set(expect_err "capvm: ${work}/none: ")  # past the options: the flag replaced the variable
elseif(CASE STREQUAL "bad_duration")
  set(args run --timeout=10 ${work}/none)
  set(expect_rc 127)
  set(expect_err "capvm: --timeout takes a duration with a unit")
elseif(CASE STREQUAL "help")
  set(args --help)
  set(expect_out "usage: capvm run" "Configuration:\n  --config=FILE" "Tracing:\n  --strace[=FILTER]"
    "Limits (0: no limit):\n  --max-memory=BYTES" "Clocks:\n  --clock-precision=DURATION"
    "Debugging:\n  --max-block-insns=N" "CAPVM_<OPTION>" "127")
elseif(CASE STREQUAL "version")
  set(args --version)
  set(expect_out "capvm " "ABI: CloudABI")
else()
  message(FATAL_ERROR "unknown case ${CASE}")
endif()

execute_process(COMMAND ${CAPVM} ${args} INPUT_FILE ${stdin_file}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
message(STATUS "exit ${rc}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT rc STREQUAL "${expect_rc}")
  message(FATAL_ERROR "${CASE}: expected exit status ${expect_rc}, got '${rc}'")
endif()
if(NOT exact_out STREQUAL "" AND NOT out STREQUAL exact_out)
  message(FATAL_ERROR "${CASE}: stdout differs; expected:\n${exact_out}")
endif()
set(pos 0)
foreach(s IN LISTS expect_out)
  string(SUBSTRING "${out}" ${pos} -1 rest)
  string(FIND "${rest}" "${s}" at)
  if(at LESS 0)
    message(FATAL_ERROR "${CASE}: stdout lacks (in order) '${s}'")
  endif()
  math(EXPR pos "${pos} + ${at}")
endforeach()
foreach(s IN LISTS expect_err)
  string(FIND "${err}" "${s}" at)
  if(at LESS 0)
    message(FATAL_ERROR "${CASE}: stderr lacks '${s}'")
  endif()
endforeach()
if(expect_rc EQUAL 127)
  string(REGEX MATCHALL "\n" newlines "${err}")
  list(LENGTH newlines lines)
  if(NOT lines EQUAL 1)
    message(FATAL_ERROR "${CASE}: a capvm error must be one line")
  endif()
endif()
