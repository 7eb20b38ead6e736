#!/usr/bin/env bash
# Per-client limits: fps=N sends about N frames a second (by capture time); --max-kbps (and
# ?kbps=) keep a client under its cap by lowering the JPEG quality, then the frame rate.
# The checks count bytes and frames against the frames' own capture timestamps, so a slow
# machine can only make them pass more easily, never fail.
source "$(dirname "$0")/lib/stream.bash"

start_stream "cam0@640x480" "--fps 30 --count 3600" --quiet --max-kbps 3000
wait_cameras 1

# fps=10: over a capture span of S seconds, at most 10*S+1 frames (and clearly fewer than 30/s).
"$HELPERS/rvkit-mjpeg-client" "$BASE/stream.mjpg?fps=10" --frames 30 --seconds 30 >"$TMP/fps.json"
read -r n span < <(jq -r '.clients[0] | "\(.frames) \(.capture_span_s)"' "$TMP/fps.json")
[ "$n" = 30 ] || fail "fps=10: got $n frames"
awk -v n="$n" -v s="$span" 'BEGIN { r = (n - 1) / s; exit !(r <= 10.5 && r >= 5) }' ||
  fail "fps=10: $n frames over $span s of capture time"
ok "fps=10: $n frames over ${span} s of capture time"

# --max-kbps 3000: the bytes sent over the capture span stay under the cap (plus a quarter
# second of burst), and the server reports it lowered the quality for this client.
"$HELPERS/rvkit-mjpeg-client" "$BASE/stream.mjpg" --seconds 8 >"$TMP/cap.json" &
C=$!; PIDS+=("$C")
# The server lowers the quality within a few seconds of the client's first frames (-1 until it
# has chosen one): /state while the client is still there (its 8 s; a loaded machine only takes
# longer to get there).
quality_lowered() {
  curl -s --max-time 5 "$BASE/state" >"$TMP/state" || return 1
  jq -e '.clients[0].quality | type == "number" and . >= 0 and . < 80' "$TMP/state" >/dev/null
}
eventually 7 quality_lowered || true  # checked below, with what /state said
wait "$C"
read -r n bytes span < <(jq -r '.clients[0] | "\(.frames) \(.bytes) \(.capture_span_s)"' "$TMP/cap.json")
[ "$n" -gt 10 ] || fail "--max-kbps 3000: only $n frames"
kbps=$(awk -v b="$bytes" -v s="$span" 'BEGIN { printf "%d", b * 8 / 1000 / (s + 0.3) }')
[ "$kbps" -le 3300 ] || fail "--max-kbps 3000: the client got $kbps kbit/s"
q=$(jq '.clients[0].quality' "$TMP/state")
[ "$q" -ge 0 ] && [ "$q" -lt 80 ] || fail "--max-kbps: quality $q, want lowered below the default 80: $(jq -c .clients "$TMP/state")"
ok "--max-kbps 3000: $kbps kbit/s over $n frames, quality lowered to $q"

# ?kbps=300 (lower than the server's cap): lowest quality, then fewer frames.
"$HELPERS/rvkit-mjpeg-client" "$BASE/stream.mjpg?kbps=300" --seconds 8 >"$TMP/low.json"
read -r n bytes span < <(jq -r '.clients[0] | "\(.frames) \(.bytes) \(.capture_span_s)"' "$TMP/low.json")
[ "$n" -gt 3 ] || fail "kbps=300: only $n frames"
kbps=$(awk -v b="$bytes" -v s="$span" 'BEGIN { printf "%d", b * 8 / 1000 / (s + 0.3) }')
[ "$kbps" -le 330 ] || fail "kbps=300: the client got $kbps kbit/s"
awk -v n="$n" -v s="$span" 'BEGIN { exit !((n - 1) / s < 29) }' || fail "kbps=300 did not lower the frame rate"
ok "kbps=300: $kbps kbit/s, $n frames over ${span} s of capture time"
done_testing
