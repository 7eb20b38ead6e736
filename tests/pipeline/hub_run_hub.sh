# hub run with its message hub: a camera publishing on the hub and a probe subscribed to it. The
# probe waits for the camera's first frame on the hub (ready = { topic }); after kill -9 the camera
# is back within 1 s and its frames resume; a SIGSTOPped camera is restarted by the stall watchdog
# (the hub's report shows its topic silent); a killed hub is restarted and the frames flow again;
# SIGINT stops everything, the hub last.
source "$(dirname "$0")/lib/hub_run.bash"

export RVKIT_HUB="ipc://$TMP/hub"
cat >"$TMP/pipeline.toml" <<'EOF'
[defaults]
stop_timeout = 2
backoff = { first = 0.1 }

[[process]]
name = "cam"
cmd = ["cap", "--test-pattern", "--name", "front", "--fps", "20", "--size", "160x120", "--out", "hub"]
ready = { topic = "frame/front/", timeout = 20 }
stall = { topic = "frame/front/", seconds = 1 }

[[process]]
name = "probe"
cmd = ["probe", "--in", "hub?topic=frame/front/"]
after = ["cam"]
EOF

start_hub_run "$TMP/pipeline.toml"
wait_for_line "$TMP/run.err" '^hub: hub: started \(pid ' 10
wait_for_line "$TMP/run.err" '^hub: cam: ready after ' 20
wait_for_line "$TMP/run.err" '^hub: probe: started ' 10
# The probe starts only once the hub has seen the camera's first frame.
ready_line=$(grep -n '^hub: cam: ready after ' "$TMP/run.err" | head -n 1 | cut -d: -f1)
probe_line=$(grep -n '^hub: probe: started ' "$TMP/run.err" | head -n 1 | cut -d: -f1)
[ -n "$probe_line" ] && [ "$probe_line" -gt "$ready_line" ] || fail "probe started before cam was ready"
ok "probe started after cam's first frame reached the hub"
frames() { lines_of probe | grep -c '"type":"frame"' || true; }
# The supervisor forks its children, so it must never have started a thread (HELPER-11 item 5).
expect_eq "$(ls "/proc/$HUB_PID/task" | wc -l)" 1 "hub run is one thread"

eventually 10 eval '[ "$(frames)" -ge 10 ]' || fail "probe received no frames through the hub"
ok "frames flow from cam through the hub to probe"
# hub status shows how old cam's newest frame on the hub is (from the hub's report).
age=$(hub status --json --control "$CONTROL" | jq -r '.[] | select(.name == "cam") | .last_message_age_s')
[[ "$age" =~ ^[0-9.e-]+$ ]] && awk -v a="$age" 'BEGIN { exit !(a < 2) }' || fail "cam's last message age is '$age'"
ok "hub status: cam's newest frame is $age s old"

# kill -9: back within 1 s, and its frames reach the probe again.
before=$(started_count cam)
t0=$(now_ms)
kill -9 "$(pid_of cam)"
eventually 10 eval '[ "$(started_count cam)" -gt "$before" ]' || fail "cam not restarted after kill -9"
restart_ms=$(($(now_ms) - t0))
[ "$restart_ms" -le 1000 ] || fail "cam took $restart_ms ms to restart (limit 1000)"
ok "cam restarted $restart_ms ms after kill -9"
n=$(frames)
eventually 10 eval '[ "$(frames)" -ge $((n + 10)) ]' || fail "no frames after cam's restart"
ok "frames resume after the restart"

# SIGSTOP: its topic falls silent on the hub, the stall watchdog restarts it (SIGCONT follows the
# SIGINT, so the stopped process can end), and the frames resume.
before=$(started_count cam)
wait_for_line "$TMP/run.err" '^hub: cam: ready after ' 10
sleep_until_graced=$(pid_of cam)
# The watchdog gives a new start 3 s of grace; stop the camera once it has run for longer.
eventually 20 eval '[ $(( $(ps -o etimes= -p "$sleep_until_graced") )) -ge 4 ]' || fail "cam did not stay up"
kill -STOP "$(pid_of cam)"
wait_for_line "$TMP/run.err" '^hub: cam: stalled: no frame/front/ for 1 s; restarting$' 10
eventually 10 eval '[ "$(started_count cam)" -gt "$before" ]' || fail "cam not restarted after the stall"
ok "a SIGSTOPped cam is restarted by the stall watchdog"
n=$(frames)
eventually 10 eval '[ "$(frames)" -ge $((n + 10)) ]' || fail "no frames after the stall restart"
ok "frames resume after the stall restart"

# kill -9 of the hub itself: restarted, the publisher and the subscriber reconnect, and the stall
# watchdog does not take the hub's absence for a stalled camera.
cam_starts=$(started_count cam)
t0=$(now_ms)
kill -9 "$(pid_of hub)"
eventually 10 eval '[ "$(started_count hub)" -ge 2 ]' || fail "the hub was not restarted after kill -9"
restart_ms=$(($(now_ms) - t0))
[ "$restart_ms" -le 1000 ] || fail "the hub took $restart_ms ms to restart (limit 1000)"
ok "the hub restarted $restart_ms ms after kill -9"
n=$(frames)
eventually 10 eval '[ "$(frames)" -ge $((n + 10)) ]' || fail "no frames after the hub's restart"
ok "frames flow again through the restarted hub"
expect_eq "$(started_count cam)" "$cam_starts" "cam was not restarted for the hub's absence"

# SIGINT: the processes first, the hub last, nothing left, status 0.
mapfile -t started < <(session_pids)
kill -INT "$HUB_PID"
wait_gone "$HUB_PID" 5
rc=0
wait "$HUB_PID" || rc=$?
expect_eq "$rc" 0 "exit status 0: nothing failed"
eventually 2 none_alive "${started[@]}" || fail "processes left after hub run ended"
ok "nothing left of the ${#started[@]} processes"
hub_stopped=$(grep -n '^hub: hub: stopped' "$TMP/run.err" | cut -d: -f1)
cam_stopped=$(grep -n '^hub: cam: stopped' "$TMP/run.err" | cut -d: -f1)
probe_stopped=$(grep -n '^hub: probe: stopped' "$TMP/run.err" | cut -d: -f1)
[ -n "$hub_stopped" ] && [ -n "$cam_stopped" ] && [ -n "$probe_stopped" ] || fail "not every process said it stopped"
[ "$probe_stopped" -lt "$cam_stopped" ] || fail "cam stopped before probe, which comes after it"
[ "$cam_stopped" -lt "$hub_stopped" ] || fail "the hub stopped before the processes"
ok "stopped in order: probe, cam, then the hub"
grep -Eq '^hub: cam +2 ' "$TMP/run.err" || fail "the summary does not count cam's 2 restarts"
ok "the summary counts cam's restarts"
done_testing
