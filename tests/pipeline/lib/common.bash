# The base of every pipeline test (sourced, not a test itself). A test sources this file, or the one
# helper file of its tool in this folder (detect.bash, overlay.bash, stream.bash, nt.bash), which
# sources this file and adds only what is specific to that tool.
#
# It gives strict mode, the built tools first on PATH, a temporary folder $TMP, background processes
# (PIDS) and process groups (GROUPS_) ended however the test ends, and the one set of checks:
#   ok WHAT                                  a check passed (after the test's own `... || fail`)
#   fail WHAT                                the test fails here (a helper file may add fail_context)
#   expect_eq ACTUAL EXPECTED WHAT, expect_match TEXT REGEX WHAT,
#   expect_fails STATUS PATTERN WHAT -- COMMAND...
#   done_testing                             the last line: "N passed, 0 failed"
# Waiting: never sleep and then assert. Wait with a bound instead (eventually, wait_for_line,
# wait_gone, wait_sigint_handlers), so that a loaded machine makes a test slower, not fail.
[ -z "${RVKIT_COMMON_BASH:-}" ] || return 0  # sourced once, however many helper files source it
RVKIT_COMMON_BASH=1
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
# fail WHAT: ends the test as failed. A helper file may define fail_context, printing what explains a
# failure (a tool's stderr, say); its lines follow the FAIL line.
fail() {
  echo "FAIL: $*" >&2
  if declare -F fail_context >/dev/null; then fail_context >&2 || true; fi
  exit 1
}
ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }
# expect_eq ACTUAL EXPECTED WHAT
expect_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; ok "$3"; }
# expect_match TEXT REGEX WHAT
expect_match() { [[ "$1" =~ $2 ]] || fail "$3: '$1' does not match /$2/"; ok "$3"; }
# expect_fails STATUS PATTERN WHAT -- COMMAND...: COMMAND exits with STATUS and prints one line on
# stderr matching PATTERN (an extended regex). stdin is the test's unless redirected by the caller.
expect_fails() {
  local status=$1 pattern=$2 what=$3 rc=0
  shift 4
  "$@" >"$TMP/fails.out" 2>"$TMP/fails.err" || rc=$?
  local err
  err=$(cat "$TMP/fails.err")
  [ "$rc" -eq "$status" ] || fail "$what: exit status $rc, expected $status (stderr: $err)"
  [ "$(wc -l <"$TMP/fails.err")" -eq 1 ] || fail "$what: expected one line on stderr, got: $err"
  grep -Eq -- "$pattern" "$TMP/fails.err" || fail "$what: stderr '$err' does not match /$pattern/"
  ok "$what: $err"
}
done_testing() { echo "$CHECKS passed, 0 failed"; }

# need_testdata FOLDER...: fails unless ../shared/testdata (RVKIT_TESTDATA, the repository's sibling
# folder of field layouts, reference detections, photos and calibrations) holds these folders. A
# test that needs the data never passes without it.
need_testdata() {
  : "${RVKIT_TESTDATA:?run through ctest, which sets RVKIT_TESTDATA}"
  local d
  for d in "" "$@"; do
    [ -d "$RVKIT_TESTDATA${d:+/$d}" ] ||
      fail "test data missing: $RVKIT_TESTDATA${d:+/$d} (../shared/testdata must be beside the checkout; see README.md)"
  done
}

# eventually SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (status 0), at most
# SECONDS; then returns COMMAND's last status. For a condition: eventually 10 eval '[ ... ]'.
eventually() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do "${@:2}" && return 0; sleep 0.1; done
  "${@:2}"
}
# wait_for_line FILE REGEX SECONDS: waits until FILE has a line matching REGEX (extended).
wait_for_line() {
  eventually "$3" grep -qE -- "$2" "$1" 2>/dev/null ||
    fail "no line matching /$2/ in $1 after $3 s: $(tail -n 5 "$1" 2>/dev/null)"
}
# gone PID: the process has ended (and, if it was our child, been reaped).
gone() { ! kill -0 "$1" 2>/dev/null; }
# wait_gone PID SECONDS: waits for a process to exit, fails if it does not.
wait_gone() { eventually "$2" gone "$1" || fail "process $1 still running after $2 s"; }
# wait_sigint_handlers PID...: waits until each process catches SIGINT, i.e. has started far
# enough to install its handlers (a signal sent earlier would be lost when the shell started
# it with SIGINT ignored, as non-interactive shells do for '&' jobs). A process that has ended
# fails the test at once: its /proc entry is read once per round, and gone is never "not yet".
# A process whose command line is still this shell's has not exec'd its program yet: the forked
# shell inherits this shell's SIGINT handler, so its SigCgt says nothing about the tool (a SIGINT
# sent then ends the fork with 130 before the tool starts, as CI once saw, or is lost). The command
# line is read before the status, so that an exec between the two reads cannot pass for "started".
wait_sigint_handlers() {
  [ $# -gt 0 ] || fail "wait_sigint_handlers: no process to wait for"
  local i p state cgt all forked
  for ((i = 0; i < 100; i++)); do
    all=1
    for p in "$@"; do
      state="" cgt="" forked=0
      cmp -s "/proc/$p/cmdline" "/proc/$$/cmdline" && forked=1  # read before the status: see above
      read -r state cgt < <(awk '/^State:/ { s = $2 } /^SigCgt:/ { c = $2 } END { print s, c }' \
        "/proc/$p/status" 2>/dev/null) || true
      [ -n "${cgt:-}" ] && [ "$state" != Z ] || fail "process $p ended before it caught SIGINT"
      (( forked == 0 && (16#$cgt & 2) != 0 )) || all=0
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

# free_port: a TCP port nothing listens on now (the kernel's choice, so parallel tests do not collide).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# messages FILE: one line per message of an rvkit stream: "frame CAM SEQ T_CAPTURE WxH FMT BYTES" for
# a frame, the record's JSON otherwise, and TRUNCATED where the stream is cut short.
messages() {
  node -e '
    const fs = require("fs");
    const b = fs.readFileSync(process.argv[1]);
    let i = 0;
    while (i < b.length) {
      const nl = b.indexOf(10, i);
      if (nl < 0) { console.log("TRUNCATED"); break; }
      const h = JSON.parse(b.subarray(i, nl));
      i = nl + 1 + (h.bytes || 0);
      if (i > b.length) { console.log("TRUNCATED"); break; }
      console.log(h.type === "frame" ? `frame ${h.cam} ${h.seq} ${h.t_capture} ${h.w}x${h.h} ${h.fmt} ${h.bytes}` : JSON.stringify(h));
    }' "$1"
}

# image_size FILE -> "W H" of an image or video, as ffprobe reads it.
image_size() {
  ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$1" | tr ',' ' '
}
