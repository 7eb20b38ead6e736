# Helpers for the NetworkTables pipeline tests (sourced, not a test itself), on top of common.bash:
# the npm packages and scripts of tests/nt/, an ntserver on a free port, and detections records.
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
NT_DIR="${RVKIT_SOURCE:?run through ctest, which sets RVKIT_SOURCE}/tests/nt"

# Installs the pinned npm packages (package-lock.json) once; a failure fails the test.
nt_npm_setup() {
  command -v node >/dev/null || fail "node is not installed (scripts/install-deps installs it)"
  command -v npm >/dev/null || fail "npm is not installed (scripts/install-deps installs it)"
  (
    flock 9
    if [ ! -f "$NT_DIR/node_modules/.package-lock.json" ] ||
       [ "$NT_DIR/package-lock.json" -nt "$NT_DIR/node_modules/.package-lock.json" ] ||
       [ ! -d "$NT_DIR/node_modules/ntcore-ts-client" ]; then
      (cd "$NT_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
    fi
  ) 9>/tmp/rvkit-nt-npm.lock || fail "npm ci in tests/nt failed"
  [ -d "$NT_DIR/node_modules/ntcore-ts-client" ] || fail "ntcore-ts-client is not installed in tests/nt"
}

# start_ntserver [ARGS...]: starts ntserver on a free loopback port; sets NT_PORT, NT_PID, NT_LOG.
start_ntserver() {
  NT_LOG=$(mktemp "$TMP/ntserver.XXXXXX")
  ntserver --bind 127.0.0.1 --port "${NT_WANT_PORT:-0}" "$@" 2>"$NT_LOG" &
  NT_PID=$!
  PIDS+=("$NT_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "listening on port" "$NT_LOG" && break
    kill -0 "$NT_PID" 2>/dev/null || fail "ntserver exited: $(cat "$NT_LOG")"
    sleep 0.05
  done
  NT_PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$NT_LOG" | head -n 1)
  [ -n "$NT_PORT" ] || fail "ntserver did not start: $(cat "$NT_LOG")"
}

# detections_record SEQ: a detections record as detect writes it (docs/records.md), captured now:
# tag 7 two metres straight ahead, tag 8 at (3, 1, 0), both facing the camera; a multi-tag field pose.
detections_record() {
  local t
  t=$(date +%s%6N)
  printf '{"type":"detections","cam":"cam0","seq":%d,"t_capture":%s,"w":640,"h":480,' "$1" "$t"
  printf '"tags":[{"id":7,"hamming":0,"margin":120,"corners":[[300,280],[360,280],[360,220],[300,220]],'
  printf '"center":[330,250],"tx":3.5,"ty":-1.25,"area":2.5,"distance":2,"ambiguity":0.05,'
  printf '"poses":[{"camera_to_tag":{"translation":{"x":2,"y":0,"z":0},"rotation":{"quaternion":{"W":0,"X":0,"Y":0,"Z":1}}},"error":0.1},'
  printf '{"camera_to_tag":{"translation":{"x":2,"y":0,"z":0},"rotation":{"quaternion":{"W":0.1,"X":0,"Y":0,"Z":0.994987}}},"error":2}]},'
  printf '{"id":8,"hamming":0,"margin":90,"corners":[[90,210],[110,210],[110,190],[90,190]],'
  printf '"center":[100,200],"tx":-10,"ty":2,"area":1,"distance":3.162278,"ambiguity":0.2,'
  printf '"poses":[{"camera_to_tag":{"translation":{"x":3,"y":1,"z":0},"rotation":{"quaternion":{"W":0,"X":0,"Y":0,"Z":1}}},"error":0.2}]}],'
  printf '"field_pose":{"method":"multi-tag","tags":[7,8],'
  printf '"camera":{"translation":{"x":5,"y":3,"z":0.5},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}},'
  printf '"robot":{"translation":{"x":4.8,"y":3,"z":0},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}},'
  printf '"error":0.3,"ambiguity":0,"distance":2.58,"std_devs":[0.05,0.05,0.04]},'
  printf '"t_done":%s,"extra":{"flags":[true,false],"f":0.5,"fa":[1.5,2.5],"names":["a","b"],"raw":"AAEC/w=="}}\n' "$((t + 5000))"
}

# records N INTERVAL: N detections records, INTERVAL seconds apart (stops quietly if the reader goes).
records() {
  local i
  for ((i = 1; i <= $1; i++)); do
    detections_record "$i" || return 0
    sleep "$2"
  done
}

# burst N: N detections records as fast as bash can print them (no forks), all captured now.
burst() {
  local i t
  t=$(date +%s%6N)
  for ((i = 1; i <= $1; i++)); do
    printf '{"type":"detections","cam":"cam0","seq":%d,"t_capture":%s,"tags":[{"id":7,"tx":1,"ty":2,"area":3}]}\n' "$i" "$t" || return 0
  done
}
