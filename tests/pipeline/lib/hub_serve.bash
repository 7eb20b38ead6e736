# The message hub in pipeline tests (sourced): a private hub per test, and waiting on what it reports.
#   start_hub BASE [ARGS...]    starts `hub serve --hub BASE ARGS` in the background (ended with the
#                               test), its --report-fd lines in $HUB_REPORT, its stderr in $TMP/hub.err,
#                               and waits until it runs; exports RVKIT_HUB=BASE for the tools after it
#   hub_last_report             the last complete line of $HUB_REPORT (a `hub` record)
#   wait_hub SECONDS JQ WHAT    waits until `jq -e JQ` holds for the last report, fails naming WHAT
#   subscriptions PREFIX        a jq expression: the count of subscriptions to PREFIX
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

HUB_REPORT=$TMP/hub-report.jsonl
start_hub() {
  local base=$1
  shift
  hub serve --hub "$base" --report-fd 3 "$@" 3>"$HUB_REPORT" 2>"$TMP/hub.err" &
  HUB_PID=$!
  PIDS+=("$HUB_PID")
  export RVKIT_HUB=$base
  eventually 10 eval '[ -s "$HUB_REPORT" ]' || fail "hub serve --hub $base did not start: $(cat "$TMP/hub.err")"
}
hub_last_report() { grep '}$' "$HUB_REPORT" | tail -n 1; }
hub_report_holds() { hub_last_report | jq -e "$1" >/dev/null 2>&1; }
wait_hub() {
  eventually "$1" hub_report_holds "$2" || fail "$3: not seen within $1 s; the hub's last report: $(hub_last_report)"
  ok "$3"
}
subscriptions() { echo "([.subscriptions[] | select(.prefix == \"$1\") | .count] | add // 0)"; }
fail_context() { echo "hub serve's stderr:"; cat "$TMP/hub.err" 2>/dev/null; }
