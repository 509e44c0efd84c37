#!/bin/sh
# examples/webserver end to end with curl.
#   webserver_test.sh native WEBSERVER_NATIVE SITE WORK
#   webserver_test.sh guest  CAPVM WEBSERVER_GUEST SITE WORK
# The native build listens on 127.0.0.1:0 and prints its port; the guest gets
# `!socket {bind: WORK/http.sock}` and a read-only `!file {path: SITE}` and is
# reached with curl --unix-socket. Both serve a fixed number of connections
# and must then exit 0. Exit 77 (skipped) without curl.
set -eu
command -v curl >/dev/null 2>&1 || { echo "curl not installed: skipped"; exit 77; }
mode=$1; shift
if [ "$mode" = native ]; then
  server=$1 site=$2 work=$3
else
  capvm=$1 server=$2 site=$3 work=$4
fi
[ -f "$server" ] || { echo "FAIL: $server is not built"; exit 1; }
rm -rf "$work"; mkdir -p "$work"
CONNECTIONS=7
fail() { echo "FAIL: $*"; [ -f "$work/server.err" ] && { echo "--- server stderr"; cat "$work/server.err"; }; exit 1; }

if [ "$mode" = native ]; then
  "$server" --log --connections $CONNECTIONS 127.0.0.1:0 "$site" >"$work/server.out" 2>"$work/server.err" &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
  base="http://$(sed -n 's/^listening on //p' "$work/server.out")"
  curl_() { curl -s -m 10 "$@"; }
else
  cat >"$work/web.yaml" <<YAML
%TAG ! tag:nuxi.nl,2015:cloudabi/
---
stderr: !fd stderr
log: !fd stderr
socket: !socket {bind: $work/http.sock}
root: !file {path: $site}
connections: $CONNECTIONS
YAML
  "$capvm" run --timeout=60s "$server" <"$work/web.yaml" >"$work/server.out" 2>"$work/server.err" &
  pid=$!
  for _ in $(seq 50); do [ -S "$work/http.sock" ] && break; sleep 0.1; done
  base="http://localhost"
  curl_() { curl -s -m 10 --unix-socket "$work/http.sock" "$@"; }
fi
trap 'kill $pid 2>/dev/null || true' EXIT

# 1: the index, byte for byte, with its type and length.
curl_ -D "$work/h1" -o "$work/b1" "$base/" || fail "GET / did not complete"
cmp -s "$work/b1" "$site/index.html" || fail "GET / body differs from index.html"
grep -qi '^HTTP/1.1 200' "$work/h1" || fail "GET / status: $(head -1 "$work/h1")"
grep -qi '^content-type: text/html' "$work/h1" || fail "GET / content type"
# 2: keep-alive, two requests on one connection.
out=$(curl_ -w '%{http_code} %{num_connects}\n' -o /dev/null "$base/docs/hello.txt" -o /dev/null "$base/style.css")
[ "$out" = "$(printf '200 1\n200 0')" ] || fail "keep-alive: $out"
# 3: not found, 4: escape refused, 5: directory redirect, 6: HEAD, 7: method.
[ "$(curl_ -o /dev/null -w '%{http_code}' "$base/missing.html")" = 404 ] || fail "404"
[ "$(curl_ --path-as-is -o /dev/null -w '%{http_code}' "$base/../../etc/passwd")" = 403 ] || fail "../ not refused"
[ "$(curl_ -o /dev/null -w '%{http_code} %{redirect_url}' "$base/docs")" = "301 $base/docs/" ] || fail "directory redirect"
curl_ -I -o "$work/h6" "$base/docs/hello.txt" || fail "HEAD"
grep -qi '^content-length: 6' "$work/h6" || fail "HEAD length"
[ "$(curl_ -X POST -d x -o /dev/null -w '%{http_code}' "$base/")" = 413 ] || fail "POST with a body"

# The server exits by itself after $CONNECTIONS connections.
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "server still running after $CONNECTIONS connections"
trap - EXIT
wait $pid || fail "server exit status $?"
grep -q 'GET /docs/hello.txt 200 6' "$work/server.err" || fail "request log"
echo "webserver ($mode): all checks passed"
