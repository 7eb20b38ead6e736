#!/usr/bin/env bash
# overlay, the tool, on a fixed frame of the synthetic scene with fixed records (tests/golden): the
# output matches its golden image within the tolerance, whatever the input format; and overlay keeps
# cam, seq and t_capture.
source "$(dirname "$0")/lib/overlay.bash"

in_png="$GOLDEN/overlay-input-320x240.png"
[ -f "$in_png" ] || fail "missing $in_png"
args=(--max-wait 600000 --hud none --calib "$GOLDEN/testpattern-calib.json" --crosshair 0,0 --crosshair 0.5,-0.25
      --text 'RPM {/SmartDashboard/Shooter/RPM:%.0f}  tags {tags}'
      --text 'tag {detections/tags/0/id} at {detections/tags/0/poses/0/camera_to_tag/translation/x:%.2f} m'
      --field 2024-crescendo --pose-topic /SmartDashboard/Field/Robot)

for fmt in bgr8 gray8 jpeg; do
  cap --file "$in_png" --fmt "$fmt" --name test --count 1 >"$TMP/frame-$fmt"
done
# NT values first, then the frame, then its record (as detect --frames writes them).
{ cat "$GOLDEN/overlay-input-320x240-nt.jsonl" "$TMP/frame-bgr8" "$GOLDEN/overlay-input-320x240-detections.jsonl"; } |
  overlay "${args[@]}" >"$TMP/out"
messages "$TMP/frame-bgr8" | awk '{print $2, $3, $4}' >"$TMP/in-ids"
messages "$TMP/out" >"$TMP/out-msgs"
[ "$(wc -l <"$TMP/out-msgs")" = 1 ] || fail "expected one frame out, got: $(cat "$TMP/out-msgs")"
expect_eq "$(awk '{print $2, $3, $4}' "$TMP/out-msgs")" "$(cat "$TMP/in-ids")" "cam, seq and t_capture kept"
expect_eq "$(awk '{print $5, $6, $7}' "$TMP/out-msgs")" "320x240 bgr8 230400" "a 320x240 bgr8 frame out"
frame_png "$TMP/out" 0 "$TMP/out.png"
expect_similar "$TMP/out.png" "$GOLDEN/overlay-tool-320x240.png" "bgr8 in: the golden image"

# Grey frames are drawn on in colour; JPEG frames are decoded (so they differ a little from the golden).
{ cat "$GOLDEN/overlay-input-320x240-nt.jsonl" "$TMP/frame-gray8" "$GOLDEN/overlay-input-320x240-detections.jsonl"; } |
  overlay "${args[@]}" >"$TMP/out-gray"
expect_eq "$(messages "$TMP/out-gray" | awk '{print $5, $6, $7}')" "320x240 bgr8 230400" "gray8 in: bgr8 out"
frame_png "$TMP/out-gray" 0 "$TMP/out-gray.png"
read -r far mean < <(image_diff "$TMP/out-gray.png" "$GOLDEN/overlay-tool-320x240.png" gray)
awk -v f="$far" -v m="$mean" 'BEGIN { exit !(f < 0.5 && m < 4) }' || fail "gray8 in: the drawing differs from the golden's ($far% far)"
ok "gray8 in: the golden image, in grey ($far% far, mean $mean)"
{ cat "$GOLDEN/overlay-input-320x240-nt.jsonl" "$TMP/frame-jpeg" "$GOLDEN/overlay-input-320x240-detections.jsonl"; } |
  overlay "${args[@]}" >"$TMP/out-jpeg"
frame_png "$TMP/out-jpeg" 0 "$TMP/out-jpeg.png"
read -r far mean < <(image_diff "$TMP/out-jpeg.png" "$GOLDEN/overlay-tool-320x240.png")
awk -v f="$far" -v m="$mean" 'BEGIN { exit !(f < 0.5 && m < 4) }' || fail "jpeg in: $far% far, mean $mean"
ok "jpeg in: the golden image up to JPEG's loss ($far% far, mean $mean)"

# --fmt jpeg: the same picture, encoded (ffmpeg decodes it).
{ cat "$GOLDEN/overlay-input-320x240-nt.jsonl" "$TMP/frame-bgr8" "$GOLDEN/overlay-input-320x240-detections.jsonl"; } |
  overlay "${args[@]}" --fmt jpeg --quality 95 >"$TMP/out-enc"
read -r w h f < <(frame_raw "$TMP/out-enc" 0 "$TMP/enc.jpg")
expect_eq "$w $h $f" "320 240 jpeg" "--fmt jpeg writes jpeg frames"
# (compared in grey: JPEG halves the colour resolution, which thin coloured lines feel)
read -r far mean < <(image_diff "$TMP/enc.jpg" "$GOLDEN/overlay-tool-320x240.png" gray)
awk -v f="$far" -v m="$mean" 'BEGIN { exit !(f < 0.5 && m < 4) }' || fail "--fmt jpeg: $far% far, mean $mean"
ok "--fmt jpeg: ffmpeg decodes the golden picture ($far% far, mean $mean)"
done_testing
