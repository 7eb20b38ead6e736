# Helpers for the stream pipeline tests (sourced, not a test itself), on top of common.bash: cameras
# from `cap --test-pattern` feeding `stream` on a free loopback port.
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

HELPERS=${RVKIT_HELPERS:-$RVKIT_BIN/../test-helpers}
STREAM_ERR=""
# Failures also show what stream said.
fail_context() {
  if [ -n "$STREAM_ERR" ] && [ -f "$STREAM_ERR" ]; then sed 's/^/  stream stderr: /' "$STREAM_ERR"; fi
}
for t in "$RVKIT_BIN/stream" "$RVKIT_BIN/cap" "$HELPERS/rvkit-mjpeg-client" "$HELPERS/rvkit-imgcheck"; do
  [ -x "$t" ] || fail "$t is missing: build the tools and the test helpers (make rvkit-unit-tests)"
done
export LC_ALL=C

# start_stream "CAMS" "CAP ARGS" STREAM ARGS...
# CAMS is "NAME@WxH ...". One camera: `cap --test-pattern ... | stream`; several: each cap
# publishes to stream's ZeroMQ input (ipc, stream binds). Every cap is bounded by --count.
# Sets PORT, BASE (http://127.0.0.1:PORT), STREAM_PID, STREAM_OUT, STREAM_ERR, and
# CAP_PIDS[NAME] when there are several cameras.
declare -A CAP_PIDS=()
start_stream() {
  local cams=($1) cap_args=$2
  shift 2
  STREAM_OUT=$TMP/stream.out
  STREAM_ERR=$TMP/stream.err
  : >"$STREAM_ERR"
  local c name size
  if [ ${#cams[@]} = 1 ]; then
    name=${cams[0]%@*}; size=${cams[0]#*@}
    # shellcheck disable=SC2086
    cap --test-pattern --name "$name" --size "$size" $cap_args 2>>"$TMP/cap.err" |
      stream --port 0 --bind 127.0.0.1 "$@" >"$STREAM_OUT" 2>"$STREAM_ERR" &
    STREAM_PID=$!
    PIDS+=("$STREAM_PID")
  else
    local ipc="ipc://$TMP/frames.ipc"
    stream --in "@$ipc" --port 0 --bind 127.0.0.1 "$@" >"$STREAM_OUT" 2>"$STREAM_ERR" &
    STREAM_PID=$!
    PIDS+=("$STREAM_PID")
  fi
  wait_port
  if [ ${#cams[@]} -gt 1 ]; then
    # One camera after the other, so the first camera (/stream.mjpg) is the first named.
    local i=0
    for c in "${cams[@]}"; do
      name=${c%@*}; size=${c#*@}; i=$((i + 1))
      # shellcheck disable=SC2086
      cap --test-pattern --name "$name" --size "$size" --seed $i $cap_args --out ">$ipc" 2>>"$TMP/cap.err" &
      PIDS+=($!)
      CAP_PIDS[$name]=$!
      wait_cameras $i
    done
  fi
}

wait_port() {
  PORT=""
  for _ in $(seq 100); do
    PORT=$(sed -n '/^stream: listening on port /{s/^stream: listening on port \([0-9]*\):.*/\1/p;q}' "$STREAM_ERR" 2>/dev/null || true)
    [ -n "$PORT" ] && break
    kill -0 "$STREAM_PID" 2>/dev/null || fail "stream exited before listening"
    sleep 0.1
  done
  [ -n "$PORT" ] || fail "stream did not say which port it listens on"
  BASE="http://127.0.0.1:$PORT"
}

# wait_cameras N: until /state lists N cameras (at most 10 s).
wait_cameras() {
  local n=0
  for _ in $(seq 100); do
    n=$(curl -s --max-time 2 "$BASE/state" | jq '.cameras | length' 2>/dev/null || echo 0)
    [ "${n:-0}" -ge "$1" ] && return 0
    sleep 0.1
  done
  fail "/state lists $n camera(s), want $1"
}

# stop_stream: SIGTERM; stream must end with status 0.
stop_stream() {
  kill "$STREAM_PID"
  wait "$STREAM_PID" || fail "stream did not end with status 0 on SIGTERM"
}
