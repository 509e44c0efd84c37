# bench/web_common.sh: helpers the web server benchmarks share (sourced by
# webserver.sh and webserver_sensitivity.sh, which set $secs).

# free_port: prints a loopback TCP port nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_up PORT: succeeds once the server answers GET / (within 5 s).
wait_up() { for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; return 1; }
# wrk_rps PORT: requests/s of wrk -t2 -c32 for $secs seconds (keep-alive, GET /).
wrk_rps() { timeout $((secs + 30)) wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$1/" | awk '/Requests\/sec/ {print $2}'; }
# median VALUE...: the median of the numeric arguments, n/a when none.
median() {
  printf '%s\n' "$@" | awk '/^[0-9.]+$/' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
