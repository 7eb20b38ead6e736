#!/usr/bin/env bash
# Robust HTTP: malformed, oversize and hostile requests get the right error and the server keeps
# serving; unknown paths are 404, '..' never passes, idle and half-sent requests time out,
# --max-clients answers 503, bad input and a busy port are clear one-line errors.
source "$(dirname "$0")/lib/stream.bash"

start_stream "cam0@160x120" "--fps 30 --count 3600" --quiet --max-clients 2 --timeout 1
wait_cameras 1

# raw REQUEST-BYTES: sends them on a new connection, prints the status code of the answer.
raw() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
  printf '%b' "$1" >&"$fd" 2>/dev/null || true
  timeout 5 head -c 300 <&"$fd" >"$TMP/raw" 2>/dev/null || true
  exec {fd}>&-
  sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' "$TMP/raw" | tr -d '\r'
}
status() { curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' "$@"; }

[ "$(status "$BASE/nope")" = 404 ] || fail "/nope is not 404"
[ "$(status "$BASE/cam0/nope.mjpg")" = 404 ] || fail "/cam0/nope.mjpg is not 404"
[ "$(status "$BASE/?action=command&brightness=1")" = 404 ] || fail "?action=command is not 404"
[ "$(status --path-as-is "$BASE/../../etc/passwd")" = 400 ] || fail "/../../etc/passwd is not 400"
[ "$(status --path-as-is "$BASE/%2e%2e/%2e%2e/etc/passwd")" = 400 ] || fail "%2e%2e traversal is not 400"
[ "$(status "$BASE/stream%00.mjpg")" = 400 ] || fail "a NUL in the path is not 400"
[ "$(status "$BASE/bad%zzescape")" = 400 ] || fail "a bad %-escape is not 400"
ok "404 for unknown paths, 400 for '..', NUL and bad escapes"

[ "$(status "$BASE/stream.mjpg?resolution=abc")" = 400 ] && grep -q resolution "$TMP/body" || fail "resolution=abc is not 400"
[ "$(status "$BASE/stream.mjpg?fps=-3")" = 400 ] || fail "fps=-3 is not 400"
[ "$(status "$BASE/stream.mjpg?compression=500")" = 400 ] || fail "compression=500 is not 400"
[ "$(status "$BASE/snapshot.jpg?resolution=99999x1")" = 400 ] || fail "resolution=99999x1 is not 400"
ok "400 naming the parameter for bad resolution/fps/compression"

[ "$(raw 'GARBAGE\r\n\r\n')" = 400 ] || fail "a garbage request line is not 400: $(cat "$TMP/raw")"
[ "$(raw 'GET / HTTP/9.9\r\n\r\n')" = 400 ] || fail "HTTP/9.9 is not 400: $(cat "$TMP/raw")"
[ "$(raw "GET /state HTTP/1.1\r\nX-Big: $(head -c 20000 /dev/zero | tr '\0' a)\r\n\r\n")" = 431 ] ||
  fail "a 20 kB header is not 431: $(cat "$TMP/raw")"
[ "$(raw "GET /$(head -c 12000 /dev/zero | tr '\0' a) HTTP/1.1\r\n\r\n")" = 431 ] || fail "a 12 kB URL is not 431"
[ "$(raw 'POST /stream.mjpg HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello')" = 405 ] || fail "POST is not 405"
[ "$(raw 'GET /state HTTP/1.1\r\nContent-Length: 100000\r\n\r\nxx')" = 413 ] || fail "a GET with a body is not 413"
[ "$(raw 'GET /state HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')" = 413 ] || fail "a chunked body is not 413"
# The stream itself carries CORS and the multipart type (headers read, then the transfer cut short).
curl -s --max-time 2 -D "$TMP/sh" -o /dev/null "$BASE/stream.mjpg" || true
grep -qi '^Access-Control-Allow-Origin: \*' "$TMP/sh" && grep -qi '^Content-Type: multipart/x-mixed-replace;boundary=' "$TMP/sh" ||
  fail "stream headers: $(cat "$TMP/sh")"
for _ in $(seq 50); do [ "$(curl -s --max-time 2 "$BASE/state" | jq '.server.streams')" = 0 ] && break; sleep 0.1; done
ok "the stream's headers: multipart/x-mixed-replace with CORS"
code=$(curl -s --max-time 10 -X OPTIONS -D "$TMP/h" -o /dev/null -w '%{http_code}' "$BASE/stream.mjpg")
[ "$code" = 204 ] && grep -qi '^Access-Control-Allow-Origin: \*' "$TMP/h" || fail "OPTIONS: $code"
ok "malformed (400), oversize (431, 413) and other-method (405) requests"

# Idle and half-sent requests are hung up on after --timeout (1 s here); checked with a bound of 5 s.
exec {idle}<>"/dev/tcp/127.0.0.1/$PORT"
exec {slow}<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /state HTTP/1.1\r\nHost: x\r\n' >&"$slow"   # never finishes its headers
timeout 5 cat <&"$idle" >/dev/null || fail "an idle connection was not closed by the server within 5 s"
timeout 5 cat <&"$slow" >/dev/null || fail "a half-sent request was not closed by the server within 5 s"
exec {idle}>&- {slow}>&-
ok "idle and half-sent requests time out"

# --max-clients 2: a third stream gets 503; snapshots and pages still work.
"$HELPERS/rvkit-mjpeg-client" "$BASE/stream.mjpg" --clients 2 --seconds 30 >"$TMP/two.json" &
TWO=$!; PIDS+=("$TWO")
for _ in $(seq 100); do
  [ "$(curl -s --max-time 2 "$BASE/state" | jq '.server.streams')" = 2 ] && break; sleep 0.1
done
[ "$(status "$BASE/stream.mjpg")" = 503 ] || fail "a third stream with --max-clients 2 is not 503"
grep -q "too many" "$TMP/body" || fail "503 does not say why: $(cat "$TMP/body")"
[ "$(status "$BASE/snapshot.jpg")" = 200 ] || fail "snapshot refused while streams are full"
kill "$TWO"; wait "$TWO" 2>/dev/null || true
for _ in $(seq 100); do
  [ "$(curl -s --max-time 2 "$BASE/state" | jq '.server.streams')" = 0 ] && break; sleep 0.1
done
[ "$(timeout 20 ffprobe -v error -show_entries stream=width -of csv=p=0 "$BASE/stream.mjpg")" = 160 ] ||
  fail "no stream after the other clients left"
ok "--max-clients: 503 beyond, served again once clients leave"

# After all that the server is healthy and counted what happened.
curl -s --max-time 5 "$BASE/state" >"$TMP/state"
jq -e '.server.bad_requests >= 10 and .server.rejected >= 1' "$TMP/state" >/dev/null ||
  fail "/state counters: $(jq -c .server "$TMP/state")"
kill -0 "$STREAM_PID" || fail "stream died"
[ "$(status "$BASE/")" = 200 ] && grep -q "<title>rvkit stream</title>" "$TMP/body" || fail "the page is gone"
ok "server still serving: $(jq -c '.server | {bad_requests, rejected, timed_out}' "$TMP/state")"

# Bad input is one clear line and status 1; a busy port too.
set +e
echo 'this is not an rvkit stream' | "$RVKIT_BIN/stream" --port 0 --bind 127.0.0.1 --quiet >/dev/null 2>"$TMP/err"
rc=$?
set -e
[ $rc = 1 ] || fail "garbage input: status $rc, want 1"
grep -q "^stream: .*bad JSON" "$TMP/err" || fail "garbage input: $(cat "$TMP/err")"
set +e
"$RVKIT_BIN/stream" --port "$PORT" --bind 127.0.0.1 --quiet </dev/null >/dev/null 2>"$TMP/err"
rc=$?
set -e
[ $rc = 1 ] && grep -q "^stream: cannot listen on 127.0.0.1:$PORT: .*in use" "$TMP/err" || fail "busy port: status $rc: $(cat "$TMP/err")"
ok "bad input and a busy port are one-line errors with status 1"

# All connections together are bounded (2 x --max-clients + 16 = 18 here): beyond, an
# immediate 503; once they close, service again.
kill "$STREAM_PID"; wait "$STREAM_PID" 2>/dev/null || true
start_stream "cam0@160x120" "--fps 30 --count 3600" --quiet --max-clients 1 --timeout 30
wait_cameras 1
fds=()
for _ in $(seq 18); do exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"; fds+=("$fd"); done
for _ in $(seq 50); do
  [ "$(curl -s --max-time 5 -o "$TMP/body" -w '%{http_code}' "$BASE/state")" = 503 ] && break; sleep 0.1
done
grep -q "too many connections" "$TMP/body" || fail "the 19th connection was not refused: $(cat "$TMP/body")"
for fd in "${fds[@]}"; do exec {fd}>&-; done
for _ in $(seq 50); do
  [ "$(status "$BASE/state")" = 200 ] && break; sleep 0.1
done
[ "$(status "$BASE/state")" = 200 ] || fail "not served again after the idle connections closed"
ok "connections beyond 2 x --max-clients + 16 get 503; served again afterwards"
done_testing
