# What the tests of `hub run` (tests/pipeline/hub_run*.sh) share: starting it in a session of its
# own (so that every process it starts can be found by session id, whatever process group it is
# in), finding its processes' pids in its lines, and checking that none of them is left.
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

# start_hub_run FILE [ARGS...]: runs `hub run FILE ARGS...` in a new session, its stdout in
# $TMP/run.out and its stderr (every line of its processes and its own) in $TMP/run.err, its
# control socket $CONTROL (not the default, which a hub run of another test may hold); sets
# HUB_PID (also the session id) and waits until it catches SIGINT.
CONTROL="$TMP/hub.sock"
start_hub_run() {
  setsid hub run "$@" --control "$CONTROL" >"$TMP/run.out" 2>"$TMP/run.err" &
  HUB_PID=$!
  PIDS+=($HUB_PID)
  # Until the exec, the pid is the shell's fork (with the shell's handlers): wait for hub itself.
  eventually 10 eval '[ "$(cat "/proc/$HUB_PID/comm" 2>/dev/null)" = hub ]' || fail "setsid forked: $HUB_PID is not hub"
  wait_sigint_handlers "$HUB_PID"
}
fail_context() { echo "--- hub run's stderr:"; tail -n 40 "$TMP/run.err" 2>/dev/null; }

# started_count NAME: how many times hub run has said it started NAME.
started_count() { grep -c -- "^hub: $1: started (pid " "$TMP/run.err" || true; }
# pid_of NAME: the pid (and process group) of NAME's latest start.
pid_of() { grep -- "^hub: $1: started (pid " "$TMP/run.err" | tail -n 1 | sed -E 's/.*\(pid ([0-9]+)\).*/\1/'; }
# session_pids: every process in hub run's session but hub run itself, one pid a line.
session_pids() { pgrep -s "$HUB_PID" | grep -vx "$HUB_PID" || true; }
# lines_of NAME: what NAME wrote, without the "NAME | " prefix (the name padded to the widest).
lines_of() { sed -nE "s/^$1 +\| ?//p" "$TMP/run.err"; }
# now_ms: the monotonic-enough wall clock in milliseconds, for measured bounds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# none_alive PID...: true when none of these processes exists any more (a zombie counts as gone:
# it has ended, only its parent has not reaped it yet).
none_alive() {
  local p state
  for p in "$@"; do
    state=$(awk '{ sub(/.*\) /, ""); print substr($0, 1, 1) }' "/proc/$p/stat" 2>/dev/null) || continue
    [ -z "$state" ] || [ "$state" = Z ] || return 1
  done
}
