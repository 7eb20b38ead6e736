# No orphans, ever: when `hub run` itself is killed with SIGKILL, every process it started is gone
# within a second, the commands of a shell pipeline (which PR_SET_PDEATHSIG does not reach) too.
# A second Ctrl-C kills everything at once. And a bad launch file starts nothing.
source "$(dirname "$0")/lib/hub_run.bash"

cat >"$TMP/pipeline.toml" <<'EOF'
[hub]
enabled = false

[[process]]
name = "sleeper"
cmd = ["sleep", "1000"]

[[process]]
name = "pipeline"
sh = 'sleep 1001 | sleep 1002 | cat'

[[process]]
name = "loop"
sh = 'while true; do sleep 0.2; done'
EOF

start_hub_run "$TMP/pipeline.toml"
wait_for_line "$TMP/run.err" '^hub: loop: started' 10
# Every process is up: hub run's three children, the pipeline's three commands, a sleep of the loop
# and the orphan guard.
eventually 10 eval '[ "$(session_pids | wc -l)" -ge 8 ]' || fail "expected 8 processes in the session, got: $(session_pids | xargs)"
mapfile -t started < <(session_pids)
ok "${#started[@]} processes started"

t0=$(now_ms)
exec 3>&2 2>/dev/null  # bash reports a job killed by a signal on its stderr: not here
kill -KILL "$HUB_PID"
wait "$HUB_PID" || true
exec 2>&3 3>&-
eventually 3 none_alive "${started[@]}" || fail "left after SIGKILL of hub run: $(ps -o pid=,comm= -s "$HUB_PID" | xargs)"
gone_ms=$(($(now_ms) - t0))
[ "$gone_ms" -le 1000 ] || fail "processes took $gone_ms ms to go after SIGKILL of hub run (limit 1000)"
ok "every process it started was gone $gone_ms ms after SIGKILL of hub run"

# A second Ctrl-C kills at once: a process that ignores SIGINT and SIGTERM would take 2 x 30 s.
cat >"$TMP/stubborn.toml" <<'EOF'
[hub]
enabled = false

[[process]]
name = "stubborn"
sh = "trap '' INT TERM; echo up; while :; do sleep 0.1; done"
stop_timeout = 30
EOF
start_hub_run "$TMP/stubborn.toml"
wait_for_line "$TMP/run.err" '^stubborn \| up$' 10
mapfile -t started < <(session_pids)
kill -INT "$HUB_PID"
wait_for_line "$TMP/run.err" '^hub: SIGINT: stopping everything' 5
sleep 0.5  # a person's second Ctrl-C (one within 300 ms counts as the same)
kill -0 "$HUB_PID" || fail "hub run ended on the first SIGINT although stubborn ignores it"
t0=$(now_ms)
kill -INT "$HUB_PID"
wait_gone "$HUB_PID" 5
wait "$HUB_PID" || true
eventually 2 none_alive "${started[@]}" || fail "processes left after the second SIGINT"
ok "a second SIGINT killed everything $(($(now_ms) - t0)) ms later"
grep -q '^hub: SIGINT while stopping: killing everything now$' "$TMP/run.err" || fail "no line about the second SIGINT"
ok "hub run says it kills everything"

# A bad launch file: one line naming file, line and key, exit 2, nothing started.
cat >"$TMP/bad.toml" <<EOF
[[process]]
name = "marker"
sh = "touch $TMP/marker"
restrat = "always"
EOF
expect_fails 2 "bad.toml:4: .*restrat" "a bad launch file is one error, exit 2" -- hub run "$TMP/bad.toml"
[ ! -e "$TMP/marker" ] || fail "a process of the bad file was started"
ok "nothing of the bad file was started"
done_testing
