#!/usr/bin/env bash
# stream announces each camera on stdout for ntpub (/CameraPublisher): one record per camera
# when it appears (and again once its frame rate is known), with working URLs; connected:false
# when its frames stop and at the end; --quiet: none.
source "$(dirname "$0")/lib/stream.bash"

start_stream "front@320x240 back@160x120" "--fps 30 --count 1800"
wait_cameras 2
for _ in $(seq 50); do
  [ "$(jq -s '[.[] | select(.fps > 20)] | length' "$STREAM_OUT")" -ge 2 ] && break; sleep 0.1
done
jq -e -s 'length >= 2 and all(.type == "camera" and .description == "rvkit stream")' "$STREAM_OUT" >/dev/null ||
  fail "announcements: $(cat "$STREAM_OUT")"
for cam in front back; do
  rec=$(jq -c -s "[.[] | select(.cam == \"$cam\")] | last" "$STREAM_OUT")
  [ "$rec" != null ] || fail "no announcement for $cam"
  want=$([ $cam = front ] && echo "320 240" || echo "160 120")
  [ "$(jq -r '"\(.w) \(.h)"' <<<"$rec")" = "$want" ] || fail "$cam announced as $(jq -c '[.w,.h]' <<<"$rec")"
  awk -v f="$(jq .fps <<<"$rec")" 'BEGIN { exit !(f > 20 && f < 40) }' || fail "$cam announced fps $(jq .fps <<<"$rec")"
  url=$(jq -r '.urls[]' <<<"$rec" | grep "127.0.0.1:$PORT/") || fail "$cam: no loopback URL: $rec"
  [ "$url" = "http://127.0.0.1:$PORT/?action=stream&cam=$cam" ] || fail "$cam: URL $url"
  got=$(timeout 20 ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$url")
  [ "$got" = "${want/ /,}" ] || fail "$cam's announced URL serves $got"
done
ok "camera records for front and back, with w/h/fps and URLs that serve the right camera"
# Every line on stdout is a record (JSON Lines), nothing else.
jq -e -s 'all(type == "object")' "$STREAM_OUT" >/dev/null || fail "stdout is not JSON Lines"
jq -e -s 'all(.connected == true)' "$STREAM_OUT" >/dev/null || fail "a camera was announced disconnected"

# A camera whose source dies without a word (SIGKILL: no end-of-stream) is announced
# disconnected within a few seconds; the other camera is not.
kill -KILL "${CAP_PIDS[back]}"
wait "${CAP_PIDS[back]}" 2>/dev/null || true
for _ in $(seq 100); do
  [ "$(jq -s '[.[] | select(.cam == "back")] | last | .connected' "$STREAM_OUT")" = false ] && break; sleep 0.1
done
[ "$(jq -s '[.[] | select(.cam == "back")] | last | .connected' "$STREAM_OUT")" = false ] ||
  fail "back was not announced disconnected: $(cat "$STREAM_OUT")"
[ "$(jq -s '[.[] | select(.cam == "front")] | last | .connected' "$STREAM_OUT")" = true ] ||
  fail "front was announced disconnected"
ok "a camera that stops sending frames is announced disconnected, the other stays connected"

# At the end of its input (front's cap ends: its end-of-stream ends stream's ZeroMQ input)
# stream announces every camera it still had as disconnected.
kill "${CAP_PIDS[front]}"
wait_gone "$STREAM_PID" 10
wait "$STREAM_PID" || fail "stream did not end with status 0 at the end of its input"
[ "$(jq -s '[.[] | select(.cam == "front")] | last | .connected' "$STREAM_OUT")" = false ] ||
  fail "front not announced disconnected at the end"
ok "at the end the cameras are announced disconnected"

start_stream "front@320x240" "--fps 30 --count 1800" --quiet
wait_cameras 1
sleep 2
[ ! -s "$STREAM_OUT" ] || fail "--quiet still wrote: $(cat "$STREAM_OUT")"
ok "--quiet writes nothing on stdout"
done_testing
