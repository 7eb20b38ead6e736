# The test-pattern camera, live-source frame dropping, quiet ends (head, Ctrl-C, SIGTERM),
# and cameras that are missing or go away.
source "$(dirname "$0")/lib/common.bash"

s=$(cap --test-pattern --count 100 | probe --summary -q)
expect_eq "$(jq -r '"\(.messages) \(.cam) \(.w)x\(.h) \(.fmt) \(.first_seq)"' <<<"$s")" \
  "100 test 640x480 bgr8 0" "cap --test-pattern --count 100 | probe --summary"
# Paced at 30 fps (a live camera, which may drop a frame on a busy machine) or unpaced (never drops).
s=$(cap --test-pattern --fps 0 --count 100 | probe --summary -q)
expect_eq "$(jq -r '"\(.messages) \(.first_seq) \(.last_seq) \(.dropped)"' <<<"$s")" "100 0 99 0" "unpaced test pattern: every seq"
s=$(cap --test-pattern --fps 0 --count 20 --size 1280x720 --fmt jpeg --name front | probe --summary -q)
expect_eq "$(jq -r '"\(.messages) \(.cam) \(.w)x\(.h) \(.fmt)"' <<<"$s")" "20 front 1280x720 jpeg" "jpeg test pattern at 1280x720"
expect_eq "$(cap --test-pattern --count 2 --fmt gray8 --size 320x240 | probe | jq -r '"\(.fmt) \(.stride) \(.bytes)"' | sort -u)" \
  "gray8 320 76800" "gray8 test pattern"
truth=$(cap --test-pattern --count 1 --tags 3 --truth | probe)
expect_eq "$(jq -r '.truth.tags | length' <<<"$truth")" 3 "--truth describes every tag"
expect_eq "$(jq -r '.truth.tags[0].corners | length' <<<"$truth")" 4 "--truth gives four corners a tag"
expect_eq "$(cap --test-pattern --count 1 | probe | jq -r 'has("truth")')" false "no truth unless asked"

# A slow consumer: the live source drops old frames (newest wins) instead of queueing them,
# so frames never get old. Queued, the 40th frame would be over 1.5 s old.
s=$(cap --test-pattern --fps 100 --count 40 | probe --delay 50 --summary -q)
expect_eq "$(jq -r .messages <<<"$s")" 40 "live source with a slow consumer delivers --count frames"
[ "$(jq -r .dropped <<<"$s")" -gt 20 ] || fail "live source did not drop frames: $s"
ok "live source drops old frames ($(jq -r .dropped <<<"$s") dropped)"
age=$(jq -r .age_ms.max <<<"$s")
awk -v a="$age" 'BEGIN { exit !(a < 400) }' || fail "frames got old behind a slow consumer: max age $age ms"
ok "frames stay fresh behind a slow consumer (max age $age ms)"
# A recorded source never drops, however slow the consumer.
s=$(cap --test-pattern --fps 0 --count 30 | probe --delay 20 --summary -q)
expect_eq "$(jq -r '"\(.messages) \(.dropped) \(.last_seq)"' <<<"$s")" "30 0 29" "recorded source never drops"

# A closed pipe is a normal, quiet end.
for args in "" "--fps 0" "--fmt jpeg" "--fps 0 --size 1280x720"; do
  set +e
  err=$( { cap --test-pattern $args | head -c 100000 > /dev/null; } 2>&1; echo "rc=${PIPESTATUS[0]}")
  set -e
  expect_eq "$err" "rc=0" "cap --test-pattern $args | head -c 100000: status 0, nothing on stderr"
done

# Ctrl-C: SIGINT to the whole pipeline's process group ends every process quietly with status 0.
setsid bash -c 'cap --test-pattern --fps 30 -v 2>/dev/null | probe --pass -q | probe --summary -q > "$1/sum.json" 2> "$1/err.txt"; echo "${PIPESTATUS[*]}" > "$1/status"' _ "$TMP" &
leader=$!
GROUPS_+=($leader)  # setsid makes it a group leader: its pid is the group's id
# Up when setsid has made the group and its three tools run (a gone leader fails at once, rather
# than an empty group id being used).
pipeline_up() {
  gone "$leader" && fail "Ctrl-C: the pipeline ended before the test sent SIGINT (status $(cat "$TMP/status" 2>/dev/null))"
  [ "$(ps -o pgid= -p "$leader" | tr -d ' ')" = "$leader" ] && [ "$(tools_in_group "$leader" | wc -l)" -eq 3 ]
}
eventually 10 pipeline_up || fail "Ctrl-C: the pipeline's three tools did not start within 10 s"
pgid=$leader
wait_sigint_handlers $(tools_in_group "$pgid")
sleep 0.5  # frames flow for a while
kill -INT -- -"$pgid"
wait_gone $leader 5
expect_eq "$(cat "$TMP/status")" "0 0 0" "Ctrl-C: every tool exits 0"
expect_eq "$(cat "$TMP/err.txt")" "" "Ctrl-C: nothing on stderr"
[ "$(jq -r .messages "$TMP/sum.json")" -ge 1 ] || fail "Ctrl-C: the summary is missing"
ok "Ctrl-C: probe still prints its summary"
expect_eq "$(pgrep -g "$pgid" | wc -l)" 0 "Ctrl-C: no process left behind"

# SIGTERM to the source alone: it finishes its message, and the reader sees a clean end.
cap --test-pattern --fps 0 --size 1280x720 2>"$TMP/cap.err" | probe --summary -q > "$TMP/sum2.json" 2>"$TMP/probe.err" &
reader=$!
PIDS+=($reader)
# cap is this shell's child too (bash forks each stage of a pipeline): found as such, not by a
# command line that another test's processes might match.
eventually 10 eval 'capp=$(pgrep -P $$ -x cap)' || fail "SIGTERM: cap did not start within 10 s"
PIDS+=($capp)
wait_sigint_handlers $reader $capp
sleep 0.5  # frames flow for a while
kill -TERM $capp
wait $reader || fail "probe exited $? after cap was terminated"
expect_eq "$(cat "$TMP/cap.err" "$TMP/probe.err")" "" "SIGTERM: quiet, and no truncated message downstream"

# A missing camera: clear lines with backoff, never an exit or a hang; SIGTERM ends it promptly.
cap --cam /dev/video99 > "$TMP/none.rvk" 2> "$TMP/cam.err" &
camp=$!
PIDS+=($camp)
wait_sigint_handlers $camp
eventually 10 eval '[ "$(wc -l <"$TMP/cam.err")" -ge 3 ]' ||
  fail "missing camera: not three retry lines within 10 s: $(cat "$TMP/cam.err")"
kill -TERM $camp
wait_gone $camp 3
wait $camp && rc=0 || rc=$?
expect_eq "$rc" 0 "missing camera: SIGTERM ends it with status 0"
expect_match "$(head -n 1 "$TMP/cam.err")" "^cap: /dev/video99: cannot open: No such file or directory \(is the camera plugged in\?\); retrying in 0.5 s$" "missing camera: a clear line"
expect_match "$(sed -n 3p "$TMP/cam.err")" "retrying in 2.0 s$" "missing camera: backoff grows"
done_testing
