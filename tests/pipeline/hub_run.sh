# hub run without the message hub: lines prefixed and in order, a killed process back within 1 s, a
# crash loop failed at its limit while the rest keep running, a command that cannot run, SIGINT
# stopping everything within 5 s with no process left (a shell pipeline's commands included), a
# partial last line flushed, the summary and the exit status.
source "$(dirname "$0")/lib/hub_run.bash"

cat >"$TMP/pipeline.toml" <<'EOF'
[vars]
tmp = "unset"

[hub]
enabled = false

[defaults]
stop_timeout = 2
backoff = { first = 0.1 }

[[process]]
name = "counter"
sh = 'i=0; while [ $i -lt 500 ]; do i=$((i+1)); echo "line $i"; done; printf "no newline"; exec sleep 1000'
restart = "never"

[[process]]
name = "sleeper"
cmd = ["sleep", "1001"]

[[process]]
name = "pipeline"
sh = 'echo started > ${tmp}/pipeline-ran; sleep 1002 | sleep 1003'

[[process]]
name = "crasher"
sh = 'echo "crash"; exit 3'
limit = { restarts = 2, window = 60 }

[[process]]
name = "typo"
cmd = ["detectt", "--field", "x"]
restart = "never"
EOF

start_hub_run "$TMP/pipeline.toml" --set "tmp=$TMP"

# Lines: prefixed with the name padded to the widest ("pipeline"), one process's in order.
wait_for_line "$TMP/run.err" '^counter  \| line 500$' 10
expect_eq "$(lines_of counter | head -n 500 | md5sum)" "$(seq -f 'line %g' 1 500 | md5sum)" \
  "counter's 500 lines arrive prefixed and in order"
[ -e "$TMP/pipeline-ran" ] || fail "--set tmp=... did not reach the pipeline's command"
ok "--set replaced \${tmp} in a command"

# A command that cannot run: one clear line, and it counts as a failure.
wait_for_line "$TMP/run.err" "^hub: typo: cannot run 'detectt': No such file or directory$" 10
ok "a missing command is one clear line"

# A crash loop: failed at its limit (2 restarts within 60 s), the others keep running.
wait_for_line "$TMP/run.err" '^hub: crasher: failed: ' 10
expect_eq "$(lines_of crasher | grep -c '^crash$')" 3 "the crasher ran once and was restarted twice"
sleeper=$(pid_of sleeper)
kill -0 "$sleeper" || fail "sleeper ended when crasher failed"
kill -0 "$(pid_of pipeline)" || fail "pipeline ended when crasher failed"
ok "the others keep running after crasher failed"

# kill -9 of a process: started again within 1 s (its backoff starts at 0.1 s).
before=$(started_count sleeper)
t0=$(now_ms)
kill -9 "$sleeper"
eventually 10 eval '[ "$(started_count sleeper)" -gt "$before" ]' || fail "sleeper not restarted after kill -9"
restart_ms=$(($(now_ms) - t0))
[ "$restart_ms" -le 1000 ] || fail "sleeper took $restart_ms ms to restart (limit 1000)"
ok "sleeper restarted $restart_ms ms after kill -9"
grep -q '^hub: sleeper: exited (signal 9 (SIGKILL))$' "$TMP/run.err" || fail "no line saying how sleeper ended"
ok "hub run says how sleeper ended"

# Everything hub run started, grandchildren of the pipeline's shell included.
group=$(pgrep -g "$(pid_of pipeline)" | wc -l)
[ "$group" -ge 3 ] || fail "the pipeline's group has $group processes, expected sh and two sleeps"
mapfile -t started < <(session_pids)
[ "${#started[@]}" -ge 6 ] || fail "only ${#started[@]} processes in hub run's session: ${started[*]}"
ok "hub run's session holds its ${#started[@]} processes (the pipeline's group: $group)"

# SIGINT: everything stops within 5 s, nothing is left, the summary says crasher failed: status 1.
t0=$(now_ms)
kill -INT "$HUB_PID"
wait_gone "$HUB_PID" 5
rc=0
wait "$HUB_PID" || rc=$?
ok "hub run ended $(($(now_ms) - t0)) ms after SIGINT"
expect_eq "$rc" 1 "exit status 1: a process failed"
eventually 2 none_alive "${started[@]}" || fail "processes left after hub run ended: $(for p in "${started[@]}"; do ps -o pid=,comm= -p "$p"; done)"
ok "none of the ${#started[@]} processes it started is left"
expect_eq "$(session_pids | wc -l)" 0 "nothing left in hub run's session"

# The partial last line came out when counter ended, after its other lines.
expect_eq "$(lines_of counter | tail -n 1)" "no newline" "counter's partial last line is flushed when it ends"
grep -Eq '^hub: sleeper: stopped \(signal 2 \(SIGINT\)\)$' "$TMP/run.err" || fail "sleeper was not stopped by SIGINT"
ok "sleeper stopped by SIGINT"
grep -Eq '^hub: NAME +RESTARTS +LAST EXIT$' "$TMP/run.err" || fail "no summary"
grep -Eq '^hub: crasher +2 +exit 3 \(failed\)$' "$TMP/run.err" || fail "the summary does not show crasher failed"
grep -Eq '^hub: sleeper +1 +signal 2 \(SIGINT\)$' "$TMP/run.err" || fail "the summary does not show sleeper's restart"
ok "the summary lists restarts and last exits"
done_testing
