# Shared by tests/pipeline/stream_*.sh: start a frame source piped into `stream` on a free
# loopback port, clean up what we started, and fail loudly.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; [ -n "${STREAM_ERR:-}" ] && [ -f "$STREAM_ERR" ] && sed 's/^/  stream stderr: /' "$STREAM_ERR" >&2; exit 1; }
pass() { echo "ok: $*"; }

: "${RVKIT_BIN:?RVKIT_BIN must point at the built tools}"
for t in stream rvkit-framegen rvkit-mjpeg-client; do
  [ -x "$RVKIT_BIN/$t" ] || fail "$RVKIT_BIN/$t is missing: build it first"
done

TMP=$(mktemp -d /tmp/rvkit-stream-test.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# start_stream "GENERATOR ARGS" STREAM ARGS...
# Runs `rvkit-framegen GENERATOR ARGS | stream --port 0 --bind 127.0.0.1 STREAM ARGS` in the
# background; sets PORT, BASE (http://127.0.0.1:PORT), STREAM_PID, STREAM_OUT, STREAM_ERR.
start_stream() {
  local gen_args=$1; shift
  STREAM_OUT=$TMP/stream.out
  STREAM_ERR=$TMP/stream.err
  # shellcheck disable=SC2086
  "$RVKIT_BIN/rvkit-framegen" $gen_args | "$RVKIT_BIN/stream" --port 0 --bind 127.0.0.1 "$@" >"$STREAM_OUT" 2>"$STREAM_ERR" &
  STREAM_PID=$!
  PIDS+=("$STREAM_PID")
  PORT=""
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^stream: listening on port \([0-9]*\):.*/\1/p' "$STREAM_ERR" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$STREAM_PID" 2>/dev/null || fail "stream exited before listening"
    sleep 0.1
  done
  [ -n "$PORT" ] || fail "stream did not say which port it listens on"
  BASE="http://127.0.0.1:$PORT"
}

# wait_cameras N: until /state lists N cameras (at most 10 s).
wait_cameras() {
  local n
  for _ in $(seq 100); do
    n=$(curl -s --max-time 2 "$BASE/state" | jq '.cameras | length' 2>/dev/null || echo 0)
    [ "${n:-0}" -ge "$1" ] && return 0
    sleep 0.1
  done
  fail "/state did not list $1 camera(s)"
}

# jpeg_size FILE: prints WxH of a JPEG as ffprobe reads it.
jpeg_size() {
  ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$1"
}
