#!/usr/bin/env bash
# Colour targets through the tool: an ffmpeg-drawn green box in a bgr8 frame, with tx/ty from
# --fov; tags and colour targets on the same frame.
source "$(dirname "$0")/lib/detect.bash"

w=640 h=480
{
  printf '{"type":"frame","cam":"c","seq":3,"t_capture":10,"w":%d,"h":%d,"fmt":"bgr8","stride":%d,"bytes":%d}\n' \
    $w $h $((w * 3)) $((w * h * 3))
  ffmpeg -v error -f lavfi -i "color=c=0x404040:s=${w}x${h},drawbox=x=400:y=100:w=120:h=60:color=0x00ff00:t=fill" \
    -frames:v 1 -f rawvideo -pix_fmt bgr24 -
} >"$TMP/box"

"$DETECT" --no-tags --color 50-70,200-255,200-255 --fov 60 <"$TMP/box" >"$TMP/rec"
jq -e '.type == "detections" and .seq == 3 and (.tags == null) and (.targets|length) == 1' "$TMP/rec" >/dev/null ||
  fail "expected one target and no tags: $(cat "$TMP/rec")"
# Box pixels 400..519 x 100..159: centre (459.5, 129.5), 7200 px = 2.34375 % of the image.
# f = 320 / tan(30 deg) = 554.26 px: tx = atan(140 / f) = 14.18 deg, ty = atan(110 / f) = 11.22 deg (up).
jq -e '.targets[0] | .color == 0 and .center == [459.5, 129.5] and .bbox == [400, 100, 120, 60] and
       (.area - 2.34375 | fabs) < 0.05 and .angle == 0 and (.aspect - 2 | fabs) < 0.05 and .fullness > 98 and
       (.tx - 14.18 | fabs) < 0.02 and (.ty - 11.22 | fabs) < 0.02 and (.corners|length) == 4' "$TMP/rec" >/dev/null ||
  fail "target geometry: $(jq -c '.targets[0]' "$TMP/rec")"
ok "colour target: $(jq -c '.targets[0] | {center, area, bbox, angle, tx, ty}' "$TMP/rec")"

# Filters: the box is 2.3 %; --max-area 2 drops it, --aspect 1.5-2.5 keeps it, --fullness 99.9-100 keeps it.
"$DETECT" --no-tags --color 50-70,200-255,200-255 --max-area 2 <"$TMP/box" | jq -e '.targets == []' >/dev/null ||
  fail "--max-area did not filter"
"$DETECT" --no-tags --color 50-70,200-255,200-255 --aspect 1.5-2.5 --fullness 90-100 <"$TMP/box" |
  jq -e '(.targets|length) == 1' >/dev/null || fail "--aspect/--fullness dropped a matching target"
"$DETECT" --no-tags --color 50-70,200-255,200-255 --aspect 3-9 <"$TMP/box" | jq -e '.targets == []' >/dev/null ||
  fail "--aspect did not filter"
ok "area, aspect and fullness filters"

# Tags and colour on the same frame (a real photo): both arrays present.
jpeg_frame "$TD/photonvision/apriltag/tag1_640_480.jpg" 0 |
  "$DETECT" --color 0-179,0-60,200-255 --calib "$TD/photonvision/calibration/lifecam480p.json" >"$TMP/both"
jq -e '(.tags|length) == 1 and .tags[0].id == 1 and (.targets|length) >= 1 and
       (.targets[0].tx|type) == "number"' "$TMP/both" >/dev/null || fail "tags + colour: $(cat "$TMP/both")"
ok "tags and colour targets on one frame"
done_testing
