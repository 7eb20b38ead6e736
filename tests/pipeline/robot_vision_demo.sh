#!/usr/bin/env bash
# scripts/robot-vision.sh --demo, the README's first command: the whole robot pipeline under `hub run`
# (test-pattern cameras, a local ntserver). Its NetworkTables values and /CameraPublisher entries
# reach ntcore-ts-client, the MJPEG stream serves the tiled driver cameras, `kill -9` of detect is
# repaired by the supervisor and the values resume, and Ctrl-C stops every process of it.
source "$(dirname "$0")/lib/nt.bash"
: "${RVKIT_SOURCE:?run through ctest, which sets RVKIT_SOURCE}"
nt_npm_setup

http_port=$(free_port)
nt_port=$(free_port)
[ "$http_port" != "$nt_port" ] || nt_port=$(free_port)
export RVKIT_HUB=ipc://$TMP/hub XDG_CACHE_HOME=$TMP/cache
ctl=$TMP/control.sock
status_json() { hub status --control "$ctl" --json 2>/dev/null; }
pid_of() { status_json | jq -r --arg n "$1" '.[] | select(.name == $n) | .pid'; }

# Its own session, as a terminal gives it, with SIGINT not ignored (a shell starts '&' jobs with it
# ignored).
RVKIT_BIN=$RVKIT_BIN setsid perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
  "$RVKIT_SOURCE/scripts/robot-vision.sh" --demo --http-port "$http_port" --nt-port "$nt_port" \
  -- --control "$ctl" >"$TMP/out" 2>"$TMP/err" &
demo=$!
GROUPS_+=("$demo")
all_running() {
  kill -0 "$demo" 2>/dev/null || fail "the demo ended by itself: $(tail -n 20 "$TMP/err")"
  [ "$(status_json | jq '[.[] | select(.state != "running" and .state != "ready")] | length')" = 0 ] &&
    [ "$(status_json | jq length)" -ge 10 ]
}
eventually 60 all_running || fail "not every process runs: $(status_json) $(tail -n 20 "$TMP/err")"
names=$(status_json | jq -r '.[].name' | sort | tr '\n' ' ')
expect_eq "$names" "cap-driver1 cap-driver2 cap-tags detect hub ntpub ntserver ntsub overlay stream " "the processes of the pipeline"
pids=$(status_json | jq -r '.[].pid')
expect_match "$(cat "$TMP/err")" "http://localhost:$http_port/" "it prints the URL to open"

# NetworkTables: the Limelight keys and the drivers' stream, as a dashboard (ntcore-ts-client) sees them.
cat >"$TMP/spec.json" <<EOF
{"ts": ["/limelight/tid", "/limelight/botpose_wpiblue", "/CameraPublisher/drivers/streams"], "timeout_ms": 30000}
EOF
(cd "$NT_DIR" && exec node receive.js "$nt_port" "$TMP/spec.json") >"$TMP/got.jsonl" 2>"$TMP/node.log" ||
  fail "ntcore-ts-client did not get the values: $(cat "$TMP/node.log") $(cat "$TMP/got.jsonl")"
expect_match "$(jq -c 'select(.topic == "/limelight/tid") | .value' "$TMP/got.jsonl")" '^[0-9]+$' "/limelight/tid is a tag id"
expect_match "$(jq -c 'select(.topic == "/CameraPublisher/drivers/streams") | .value' "$TMP/got.jsonl")" \
  "mjpg:http://[^\"]+:$http_port/" "/CameraPublisher/drivers/streams names the MJPEG stream"

# The drivers' view: two 320x240 test-pattern cameras tiled into one.
base="http://127.0.0.1:$http_port"
snapshot() { curl -sf --max-time 10 -o "$TMP/snap.jpg" "$base/drivers/snapshot.jpg"; }
eventually 30 snapshot || fail "no snapshot from $base/drivers/snapshot.jpg"
size=$(ffprobe -v error -show_entries stream=width,height -of csv=s=x:p=0 "$TMP/snap.jpg")
expect_match "$size" '^(640x240|320x480)$' "the drivers' snapshot is the two cameras tiled ($size)"

# kill -9 of detect: the supervisor starts it again and NetworkTables values resume.
old=$(pid_of detect)
ntsub --server "127.0.0.1:$nt_port" --timeout 30 /limelight/tl >"$TMP/tl.jsonl" 2>"$TMP/ntsub.err" &
watcher=$!
PIDS+=("$watcher")
sleep 1
t0=$(date +%s%3N)
kill -KILL "$old"
restarted() { p=$(pid_of detect); [ -n "$p" ] && [ "$p" != "$old" ] && [ "$p" != 0 ]; }
eventually 10 restarted || fail "detect was not restarted: $(status_json)"
lines_before=$(wc -l <"$TMP/tl.jsonl")
resumed() { [ "$(wc -l <"$TMP/tl.jsonl")" -gt "$lines_before" ]; }
eventually 10 resumed || fail "NetworkTables values did not resume after detect's restart"
t1=$(date +%s%3N)
ok "detect restarted (pid $old -> $(pid_of detect)); values resumed $((t1 - t0)) ms after the kill"
expect_eq "$(status_json | jq '.[] | select(.name == "detect") | .restarts')" 1 "hub status counts the restart"
kill "$watcher" 2>/dev/null

# Ctrl-C: SIGINT to the whole process group, as a terminal sends it; everything stops within 5 s.
pids="$pids $(pid_of detect)"
kill -INT -- -"$demo"
wait_gone "$demo" 10
rc=0
wait "$demo" || rc=$?
expect_eq "$rc" 0 "the demo ends with status 0 on Ctrl-C"
left=0
for p in $pids; do eventually 5 gone "$p" || left=$((left + 1)); done
expect_eq "$left" 0 "no process of the demo is left"
expect_eq "$(pgrep -s "$demo" | wc -l)" 0 "nothing is left in its session"
done_testing
