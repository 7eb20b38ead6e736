#!/usr/bin/env bash
# Headless Chromium loads stream's page; the screenshot shows live (non-blank) video for every
# camera. The screenshot is checked pixel by pixel with rvkit-imgcheck.
source "$(dirname "$0")/lib/stream.bash"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps installs it)"

start_stream "front@320x240 back@256x192 arm@160x120" "--fps 30 --count 3600" --quiet
wait_cameras 3

profile=$(mktemp -d "$TMP/chromium.XXXXXX")
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
  --hide-scrollbars --window-size=1200,900 --virtual-time-budget=4000 \
  --screenshot="$TMP/shot.png" "$BASE/" >"$TMP/chromium.log" 2>&1 || fail "chromium failed: $(tail -5 "$TMP/chromium.log")"
[ -s "$TMP/shot.png" ] || fail "chromium wrote no screenshot"
if [ -n "${KEEP_SCREENSHOT:-}" ]; then cp "$TMP/shot.png" "$KEEP_SCREENSHOT"; fi  # to look at it

# Regions that are not the page's background colours (#15171a, #202328), at least 100x80.
"$HELPERS/rvkit-imgcheck" "$TMP/shot.png" --background 15171a --background 202328 --min-area 8000 >"$TMP/regions"
video=$(jq -s '[.[] | select(.w >= 100 and .h >= 80 and .stddev > 15 and .mean > 20)] | length' "$TMP/regions")
sizes=$(jq -s -c '[.[] | select(.w >= 100 and .h >= 80 and .stddev > 15 and .mean > 20) | "\(.w)x\(.h)"] | sort' "$TMP/regions")
[ "$video" -eq 3 ] || fail "the screenshot shows $video live pictures, want 3: $(cat "$TMP/regions")"
[ "$sizes" = '["160x120","256x192","320x240"]' ] || fail "picture sizes $sizes, want the cameras' 160x120, 256x192, 320x240"
ok "Chromium shows live video for all 3 cameras: $sizes"

# While the page is open its streams were counted as clients; the page also shows stats text,
# so /state served it. (The browser has gone now; the server is still healthy.)
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$BASE/snapshot.jpg")
[ "$code" = 200 ] || fail "snapshot after the browser left: HTTP $code"
ok "server still serving after the browser left"
done_testing
