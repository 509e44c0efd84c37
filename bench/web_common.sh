# bench/web_common.sh: helpers the web server benchmarks share (sourced by
# webserver.sh, webserver_ab.sh, webserver_sensitivity.sh and
# instructions.sh, which set $secs; capvm_web also uses $site and $tmp).

# free_port: prints a loopback TCP port nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_up PORT [SECONDS]: succeeds once the server answers GET / (within
# SECONDS, default 5).
wait_up() { for _ in $(seq $((${2:-5} * 20))); do curl -fs -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; return 1; }
# wrk_measure PORT PID: "RPS USER SYS": requests/s of wrk -t2 -c32 for $secs
# seconds (keep-alive, GET /), and the server process's user and system CPU
# time per request in microseconds (from /proc/PID/stat around the run;
# utime and stime are in clock ticks).
# CPU per request moves less with the VM's phases than requests/s, and
# separates what a server adds in user space (capvm's mediation and the
# guest's own code) from the kernel's share.
wrk_measure() {
  local port=$1 pid=$2 t0 t1 out hz
  hz=$(getconf CLK_TCK)
  t0=$(awk '{print $14, $15}' "/proc/$pid/stat" 2> /dev/null) || t0=""
  out=$(timeout $((secs + 30)) wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$port/")
  t1=$(awk '{print $14, $15}' "/proc/$pid/stat" 2> /dev/null) || t1=""
  awk -v t0="$t0" -v t1="$t1" -v hz="$hz" '
    /requests in/ { n = $1 }
    /Requests\/sec/ { rps = $2 }
    END {
      if (rps == "") { print "n/a n/a n/a"; exit }
      split(t0, a, " "); split(t1, b, " ")
      if (t0 == "" || t1 == "" || n <= 0) { print rps, "n/a", "n/a"; exit }
      printf "%s %.2f %.2f\n", rps, (b[1] - a[1]) * 1e6 / hz / n, (b[2] - a[2]) * 1e6 / hz / n
    }' <<< "$out"
}
# median VALUE...: the median of the numeric arguments, n/a when none.
median() {
  printf '%s\n' "$@" | awk '/^[0-9.]+$/' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# web_yaml PORT SITE: the web server's configuration (stderr, a listening
# socket on 127.0.0.1:PORT, the site read-only) on standard output.
web_yaml() {
  cat <<YAML
%TAG ! tag:nuxi.nl,2015:cloudabi/
---
stderr: !fd stderr
socket: !socket {bind: "127.0.0.1:$1"}
root: !file {path: $2}
YAML
}
# capvm_web CAPVM BINARY: runs BINARY under the capvm executable CAPVM with
# the web YAML (a fresh port, the site $site; files in $tmp) and prints
# "RPS USER SYS" of one wrk_measure, or "n/a n/a n/a" when BINARY is not
# built or does not start. Runs in a command substitution, so it stops its
# own server (also on exit).
capvm_web() {
  local capvm=$1 bin=$2 port pid r
  [ -f "$bin" ] || { echo "n/a n/a n/a"; return; }
  port=$(free_port)
  web_yaml "$port" "$site" > "$tmp/web.yaml"
  "$capvm" run --config "$tmp/web.yaml" "$bin" > /dev/null 2> "$tmp/guest.err" &
  pid=$!
  trap "kill $pid 2> /dev/null || true" EXIT
  if wait_up "$port"; then r=$(wrk_measure "$port" "$pid"); else echo "capvm $bin did not start: $(head -c 200 "$tmp/guest.err")" >&2; r="n/a n/a n/a"; fi
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  echo "${r:-n/a n/a n/a}"
}
