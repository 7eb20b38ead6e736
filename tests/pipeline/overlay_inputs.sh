#!/usr/bin/env bash
# overlay's inputs: NT values from another input (a file, ZeroMQ) reach the --text lines; overlay ends
# when stdin ends even while a ZeroMQ input goes on; with --no-stdin (or an empty stdin) it ends when
# its frame inputs end.
source "$(dirname "$0")/lib/overlay.bash"

nt="$GOLDEN/overlay-input-320x240-nt.jsonl"
text=(--hud none --text 'RPM {/SmartDashboard/Shooter/RPM:%.0f}')
cap --file "$GOLDEN/overlay-input-320x240.png" --loop --count 10 --fmt bgr8 --name test >"$TMP/frames"
# The reference: the NT records ahead of the frames on stdin.
cat "$nt" "$TMP/frames" | overlay "${text[@]}" >"$TMP/ref"
overlay "${text[@]}" <"$TMP/frames" >"$TMP/blank"
cmp -s "$TMP/ref" "$TMP/blank" && fail "the NT value made no difference to the picture"
ok "the NT value is drawn"

# The NT records from a file given with --in. Frames are sent only once overlay has read that file
# to its end (-v says so), so they queue behind its records.
mkfifo "$TMP/stdin"
overlay -v "${text[@]}" --in "$nt" <"$TMP/stdin" >"$TMP/out-file" 2>"$TMP/err-file" &
pid=$!; PIDS+=($pid)
exec 3>"$TMP/stdin"
for ((i = 0; i < 100; i++)); do grep -q "ended" "$TMP/err-file" && break; sleep 0.1; done
grep -q "$(basename "$nt"): ended" "$TMP/err-file" || fail "overlay did not read --in $nt: $(cat "$TMP/err-file")"
cat "$TMP/frames" >&3
exec 3>&-
wait $pid || fail "overlay failed: $(cat "$TMP/err-file")"
cmp -s "$TMP/out-file" "$TMP/ref" || fail "NT values from --in FILE were not drawn as from stdin"
ok "NT values from --in FILE are drawn, exactly as from stdin"

# From ZeroMQ: a publisher repeats the NT records every 50 ms and never ends; frames come from a live
# source on stdin for 2 s. overlay ends when stdin ends, and the last frames show the value.
port=$(free_port)
(while true; do cat "$nt"; sleep 0.05; done) | probe --pass -q --out "tcp://127.0.0.1:$port" 2>/dev/null &
PIDS+=($!)
cap --file "$GOLDEN/overlay-input-320x240.png" --loop --realtime --fps 20 --count 40 --fmt bgr8 --name test |
  timeout 60 overlay "${text[@]}" --in "tcp://127.0.0.1:$port?topic=nt/" >"$TMP/out-zmq" ||
  fail "overlay did not end with its stdin (status $?)"
ok "overlay ends when stdin ends, though its ZeroMQ input goes on"
frame_raw "$TMP/out-zmq" 39 "$TMP/last-zmq" >/dev/null
frame_raw "$TMP/ref" 0 "$TMP/ref0" >/dev/null
cmp -s "$TMP/last-zmq" "$TMP/ref0" || fail "the NT value from ZeroMQ is not on the last frame"
ok "NT values from ZeroMQ are drawn"

# --no-stdin: frames from a file, NT values from the never-ending ZeroMQ input: ends with the frames.
timeout 60 overlay --no-stdin "${text[@]}" --in "$TMP/frames" --in "tcp://127.0.0.1:$port?topic=nt/" >"$TMP/out-nostdin" ||
  fail "--no-stdin: overlay did not end when its frame input ended (status $?)"
expect_eq "$(messages "$TMP/out-nostdin" | wc -l)" "10" "--no-stdin: ends when the input carrying frames ends"
# An empty stdin (e.g. /dev/null under a service manager) counts as no stdin.
overlay "${text[@]}" --in "$TMP/frames" </dev/null >"$TMP/out-devnull"
expect_eq "$(messages "$TMP/out-devnull" | wc -l)" "10" "an empty stdin: the --in inputs are read to their end"
done_testing
