# A running `hub run` answers its control socket: `hub status` (table and --json, CPU and RSS of a
# process group), `hub logs NAME`, `hub restart NAME`, `hub stop NAME` (the others keep running),
# and `hub stop` ends it; the status page serves the same numbers.
source "$(dirname "$0")/lib/hub_run.bash"

cat >"$TMP/pipeline.toml" <<'EOF'
[hub]
enabled = false
log_lines = 3

[[process]]
name = "talker"
sh = 'for i in 1 2 3 4 5; do echo "said $i"; done; exec sleep 1000'

[[process]]
name = "busy"
sh = 'while :; do :; done'

[[process]]
name = "idle"
cmd = ["sleep", "1001"]
EOF

port=$(free_port)
start_hub_run "$TMP/pipeline.toml" --http "$port"
wait_for_line "$TMP/run.err" '^talker +\| said 5$' 10
eventually 10 hub status --control "$CONTROL" >/dev/null || fail "hub status does not answer"

# --json: every process, its state and pid; the busy loop's CPU shows after a sample or two.
eventually 10 eval 'hub status --json --control "$CONTROL" | jq -e ".[] | select(.name == \"busy\") | .cpu_percent > 20" >/dev/null' ||
  fail "busy's CPU % never showed: $(hub status --json --control "$CONTROL")"
json=$(hub status --json --control "$CONTROL")
expect_eq "$(jq -r '[.[].name] | join(" ")' <<<"$json")" "talker busy idle" "status lists the processes in file order"
expect_eq "$(jq -r '.[] | select(.name == "idle") | .pid' <<<"$json")" "$(pid_of idle)" "status shows idle's pid"
[ "$(jq -r '.[] | select(.name == "talker") | .rss_bytes' <<<"$json")" -gt 0 ] || fail "no RSS for talker"
ok "status shows CPU % and RSS"
hub status --control "$CONTROL" >"$TMP/table"
grep -Eq '^idle +running ' "$TMP/table" || fail "the status table has no running idle: $(cat "$TMP/table")"
ok "the status table"

# logs: the last [hub].log_lines lines.
expect_eq "$(hub logs talker --control "$CONTROL" | xargs)" "said 3 said 4 said 5" "hub logs keeps the last 3 lines"
expect_eq "$(hub logs talker -n 1 --control "$CONTROL")" "said 5" "hub logs -n 1"
expect_fails 1 "no process named 'nobody'" "hub logs of an unknown process" -- hub logs nobody --control "$CONTROL"

# restart: a new pid, counted.
old=$(pid_of idle)
hub restart idle --control "$CONTROL"
eventually 10 eval '[ "$(pid_of idle)" != "$old" ]' || fail "idle was not restarted"
eventually 10 eval '[ "$(hub status --json --control "$CONTROL" | jq -r ".[] | select(.name == \"idle\") | .restarts")" = 1 ]' ||
  fail "the restart is not counted"
ok "hub restart idle: a new pid, one restart"

# The status page serves the same.
expect_eq "$(curl -sf "http://127.0.0.1:$port/status.json" | jq -r '.processes[2].name')" idle "the status page's /status.json"

# stop NAME: that one stops, the others keep running.
hub stop busy --control "$CONTROL"
eventually 10 eval 'hub status --json --control "$CONTROL" | jq -e ".[] | select(.name == \"busy\") | .state == \"stopped\"" >/dev/null' ||
  fail "busy did not stop"
kill -0 "$(pid_of idle)" || fail "idle ended with busy"
kill -0 "$HUB_PID" || fail "hub run ended with busy"
ok "hub stop busy stops busy alone"

# stop: everything, hub run ends with status 0.
mapfile -t started < <(session_pids)
hub stop --control "$CONTROL"
wait_gone "$HUB_PID" 5
rc=0
wait "$HUB_PID" || rc=$?
expect_eq "$rc" 0 "hub stop: hub run ends with status 0"
eventually 2 none_alive "${started[@]}" || fail "processes left after hub stop"
ok "nothing left after hub stop"
[ ! -e "$CONTROL" ] || fail "the control socket file is left behind"
ok "the control socket file is removed"
done_testing
