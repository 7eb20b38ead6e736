# Shared set-up for the pipeline tests (sourced, not a test itself).
set -euo pipefail
: "${RVKIT_BIN:?run through ctest, which sets RVKIT_BIN}"
export PATH="$RVKIT_BIN:$PATH"
TMP=$(mktemp -d /tmp/rvkit-test.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
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
done_testing() { echo "$CHECKS passed, 0 failed"; }
