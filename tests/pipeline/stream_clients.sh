#!/usr/bin/env bash
# 20 clients at once plus one that never reads: the 20 get every frame (full frame rate), the
# stalled one only skips frames (then is hung up on), and the camera pipeline is never delayed.
source "$(dirname "$0")/lib/stream.bash"

frames=240  # 8 s at 30 fps
mkfifo "$TMP/frames"
stream --port 0 --bind 127.0.0.1 --quiet --timeout 3 --in "$TMP/frames" >"$TMP/stream.out" 2>"$TMP/stream.err" &
STREAM_PID=$!; PIDS+=("$STREAM_PID"); STREAM_ERR=$TMP/stream.err
# cap starts once the clients are connected; stream waits on the FIFO meanwhile (opening it
# for writing here lets stream start listening).
exec 3<>"$TMP/frames"
wait_port

# The stalled client: a tiny receive window, asks for the stream, never reads.
"$HELPERS/rvkit-mjpeg-client" "$BASE/stream.mjpg" --stall --seconds 30 >/dev/null 3>&- &
PIDS+=($!)
# The 20 readers (one process, one connection each), 640x480 so the stalled one really stalls.
"$HELPERS/rvkit-mjpeg-client" "$BASE/stream.mjpg" --clients 20 --seconds 40 >"$TMP/clients.json" 3>&- &
CLIENTS_PID=$!; PIDS+=("$CLIENTS_PID")
for _ in $(seq 100); do
  n=$(curl -s --max-time 2 "$BASE/state" 3>&- | jq '.server.streams')
  [ "$n" = 21 ] && break; sleep 0.1
done
[ "$n" = 21 ] || fail "only $n of 21 clients connected"

# Frames flow now; poll /state while they do, to see the stalled client dropping frames.
cap --test-pattern --size 640x480 --fps 30 --count $frames >&3 2>"$TMP/cap.err" &
GEN_PID=$!; PIDS+=("$GEN_PID")
stalled_dropped=0
for _ in $(seq 100); do
  sleep 0.2
  curl -s --max-time 2 "$BASE/state" >"$TMP/state-during" || true
  stalled_dropped=$(jq '[.clients[].dropped] | max // 0' "$TMP/state-during")
  [ "$stalled_dropped" -gt 30 ] && break
done
[ "$stalled_dropped" -gt 30 ] || fail "the stalled client dropped only $stalled_dropped frames"
# /state while streaming: per client fps and dropped; the 20 readers at the camera's rate.
readers=$(jq '[.clients[] | select(.fps >= 20 and .dropped <= 12)] | length' "$TMP/state-during")
[ "$readers" -ge 20 ] || fail "/state shows $readers clients at >= 20 fps: $(jq -c '[.clients[] | [.fps, .dropped]]' "$TMP/state-during")"
wait "$GEN_PID" || fail "cap failed: $(cat "$TMP/cap.err")"
state=$(curl -s --max-time 5 "$BASE/state")
jq -e --argjson n $frames '.cameras[0] | .w == 640 and .h == 480 and .fmt == "bgr8" and .bytes == $n * 640 * 480 * 3' \
  <<<"$state" >/dev/null || fail "/state camera: $(jq -c '.cameras[0]' <<<"$state")"
ok "/state: the camera's size, format and bytes; $readers clients at full rate while one stalls"
cam_frames=$(jq '.cameras[0].frames' <<<"$state")
last_seq=$(jq '.cameras[0].seq' <<<"$state")
# stream read every frame cap wrote. cap is a live source: had stream not taken a frame in
# time, cap would have dropped it (a gap in seq). Allow a few for a busy machine, not the
# ~200 a blocked reader would cost.
[ "$cam_frames" = $frames ] && [ "$cam_frames" -ge $(((last_seq + 1) * 95 / 100)) ] ||
  fail "stream read $cam_frames frames of cap's $frames, the last with seq $last_seq"
# The stalled client's writes made no progress for --timeout (3 s): it is hung up on, the others stay.
for _ in $(seq 100); do
  state=$(curl -s --max-time 2 "$BASE/state")
  [ "$(jq '.server.timed_out' <<<"$state")" -ge 1 ] && [ "$(jq '.clients | length' <<<"$state")" = 20 ] && break
  sleep 0.1
done
[ "$(jq '.server.timed_out' <<<"$state")" -ge 1 ] && [ "$(jq '.clients | length' <<<"$state")" = 20 ] ||
  fail "the stalled client was not hung up on: $(jq -c '.server' <<<"$state"), $(jq '.clients | length' <<<"$state") clients"
ok "the stalled client was hung up on after --timeout; the 20 readers stay"
exec 3>&-   # end of input: stream closes every client and exits
wait "$STREAM_PID" || fail "stream exited with an error at the end of its input"
wait "$CLIENTS_PID" || true

# Every reader got (nearly) every frame: at least 95% of the frames, and of the capture span.
jq -e '.clients | length == 20' "$TMP/clients.json" >/dev/null || fail "clients report: $(cat "$TMP/clients.json")"
worst=$(jq '[.clients[].frames] | min' "$TMP/clients.json")
[ "$worst" -ge $((cam_frames * 95 / 100)) ] ||
  fail "a reader got only $worst of $cam_frames frames: $(jq -c '[.clients[].frames]' "$TMP/clients.json")"
jq -e '[.clients[] | select(.w != 640 or .h != 480 or .bad_jpeg > 0)] | length == 0' "$TMP/clients.json" >/dev/null ||
  fail "a reader got frames of the wrong size or bad JPEGs"
ok "20 readers got at least $worst of $cam_frames frames each while one client stalled ($stalled_dropped frames skipped for it)"
ok "stream read $cam_frames of cap's $frames frames: the stalled client never delayed the pipeline"
done_testing
