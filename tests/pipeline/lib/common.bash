# Shared set-up for the pipeline tests (sourced, not a test itself).
set -euo pipefail
: "${RVKIT_BIN:?run through ctest, which sets RVKIT_BIN}"
export PATH="$RVKIT_BIN:$PATH"
TMP=$(mktemp -d /tmp/rvkit-test.XXXXXX)
PIDS=()    # background processes to end when the test ends, however it ends
GROUPS_=() # process groups (setsid pipelines) to end likewise
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for g in "${GROUPS_[@]:-}"; do [ -n "$g" ] && kill -TERM -- -"$g" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
CHECKS=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }
# expect_eq ACTUAL EXPECTED WHAT
expect_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; ok "$3"; }
# expect_match TEXT REGEX WHAT
expect_match() { [[ "$1" =~ $2 ]] || fail "$3: '$1' does not match /$2/"; ok "$3"; }
# wait_gone PID SECONDS: waits for a process to exit, fails if it does not.
wait_gone() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  fail "process $1 still running after $2 s"
}
# wait_sigint_handlers PID...: waits until each process catches SIGINT, i.e. has started far
# enough to install its handlers (a signal sent earlier would be lost when the shell started
# it with SIGINT ignored, as non-interactive shells do for '&' jobs).
wait_sigint_handlers() {
  local i p cgt all
  for ((i = 0; i < 100; i++)); do
    all=1
    for p in "$@"; do
      cgt=$(awk '/^SigCgt/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
      (( (16#${cgt:-0} & 2) != 0 )) || all=0
    done
    [ $all = 1 ] && return 0
    sleep 0.1
  done
  fail "processes $* did not install their signal handlers within 10 s"
}
# live_procs SKIP < PIDS: "PID COMM" for each pid read from stdin whose process still exists and whose
# command name is not SKIP. /proc is read once per pid: a process that ended after it was listed (its
# comm unreadable or empty) is left out, never reported with an empty name or read again later.
live_procs() {
  local p comm
  while read -r p; do
    comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    [ -n "$comm" ] && [ "$comm" != "$1" ] && echo "$p $comm"
  done
  true
}
# tools_in_group PGID: the pids of the rvkit tools (not shells) in a process group.
tools_in_group() { pgrep -g "$1" | live_procs bash | cut -d' ' -f1; }
done_testing() { echo "$CHECKS passed, 0 failed"; }
