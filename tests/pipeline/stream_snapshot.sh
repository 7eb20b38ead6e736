#!/usr/bin/env bash
# curl gets valid JPEG snapshots of the right size, with cscore's headers, from every form of URL.
source "$(dirname "$0")/lib/stream.bash"

# Before any frame has arrived: 503 with a reason, for the first camera and for a named one.
STREAM_ERR=$TMP/empty.err
stream --in "@ipc://$TMP/nobody.ipc" --port 0 --bind 127.0.0.1 --quiet 2>"$STREAM_ERR" &
STREAM_PID=$!
PIDS+=("$STREAM_PID")
wait_port
code=$(curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' "$BASE/snapshot.jpg")
[ "$code" = 503 ] && grep -q 'no frames received yet' "$TMP/body" || fail "snapshot before any frame: HTTP $code: $(cat "$TMP/body")"
code=$(curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' "$BASE/front/snapshot.jpg")
[ "$code" = 503 ] || [ "$code" = 404 ] || fail "a named camera's snapshot before any frame: HTTP $code"
stop_stream
ok "before any frame: 503 'no frames received yet'"

start_stream "front@320x240 back@200x150" "--fps 30 --count 1800" --quiet
wait_cameras 2

check_snapshot() {  # PATH WxH
  local code
  code=$(curl -s --max-time 10 -D "$TMP/h" -o "$TMP/s.jpg" -w '%{http_code}' "$BASE$1")
  [ "$code" = 200 ] || fail "$1: HTTP $code"
  grep -qi '^Content-Type: image/jpeg' "$TMP/h" || fail "$1: not image/jpeg: $(cat "$TMP/h")"
  grep -qi '^Access-Control-Allow-Origin: \*' "$TMP/h" || fail "$1: no Access-Control-Allow-Origin: *"
  grep -qi '^X-Timestamp: [0-9]*\.[0-9]\{6\}' "$TMP/h" || fail "$1: no X-Timestamp"
  local len; len=$(sed -n 's/^Content-Length: \([0-9]*\).*/\1/ip' "$TMP/h")
  [ "$len" = "$(stat -c %s "$TMP/s.jpg")" ] || fail "$1: Content-Length $len but $(stat -c %s "$TMP/s.jpg") bytes"
  local size; size=$(image_size "$TMP/s.jpg" | tr " " x) || fail "$1: ffprobe cannot read the JPEG"
  [ "$size" = "$2" ] || fail "$1: JPEG is $size, want $2"
}
check_snapshot "/snapshot.jpg" 320x240
check_snapshot "/?action=snapshot" 320x240
check_snapshot "/?action=snapshot&cam=back" 200x150
check_snapshot "/back/snapshot.jpg" 200x150
check_snapshot "/snapshot.jpg?cam=back&resolution=100x0" 100x75
check_snapshot "/front/snapshot.jpg?resolution=64x48&compression=50" 64x48
ok "snapshots are JPEGs of the right size with Content-Length, X-Timestamp and CORS"

# X-Timestamp is the capture time: close to now (same machine), in seconds.
ts=$(sed -n 's/^X-Timestamp: \([0-9.]*\).*/\1/ip' "$TMP/h")
now=$(date +%s.%N)
awk -v t="$ts" -v n="$now" 'BEGIN { d = n - t; exit !(d >= 0 && d < 60) }' || fail "X-Timestamp $ts is not a recent capture time (now $now)"
ok "X-Timestamp $ts is the capture time"

# HEAD gets the headers only.
code=$(curl -s --max-time 10 -I -o "$TMP/head" -w '%{http_code}' "$BASE/snapshot.jpg")
[ "$code" = 200 ] && grep -qi '^Content-Length: [1-9]' "$TMP/head" || fail "HEAD /snapshot.jpg: $code $(cat "$TMP/head")"

# An unknown camera is a 404 that names the cameras there are.
code=$(curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' "$BASE/?action=snapshot&cam=nope")
[ "$code" = 404 ] && grep -q "front" "$TMP/body" || fail "unknown camera: HTTP $code $(cat "$TMP/body")"
ok "HEAD and unknown cameras"

# Keep-alive: several snapshots over one connection.
curl -s --max-time 10 -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
  "$BASE/snapshot.jpg" "$BASE/state" "$BASE/back/snapshot.jpg" >"$TMP/ka"
[ "$(awk '{s += $2} END {print s}' "$TMP/ka")" = 1 ] && ! grep -qv '^200 ' "$TMP/ka" ||
  fail "keep-alive: $(cat "$TMP/ka")"
ok "keep-alive connections serve several requests"
done_testing
