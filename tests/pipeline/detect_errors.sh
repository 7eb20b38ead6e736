#!/usr/bin/env bash
# Bad input gives one clear line on stderr and a non-zero status: unreadable or invalid calibration
# and layout files, a frame size of another aspect ratio, an unknown field name, malformed streams
# (status 1); bad option values and options that do not go together (status 2, as CLI11's own errors).
# Nothing hangs or crashes.
source "$(dirname "$0")/lib/detect.bash"

calib="$TD/photonvision/calibration/lifecam_1280.json"
printf '{"cameraIntrinsics": {"data": [1, 2' >"$TMP/truncated.json"
printf '%%YAML:1.0\ncamera_matrix: [1, 2, 3]\nimage_width: 640\nimage_height: 480\n' >"$TMP/bad.yaml"
printf '{"tags": [{"ID": 1, "pose": {"translation": {"x": 1}}}]}' >"$TMP/badfield.json"
head -c 3000 "$TD/fields/2024-crescendo.json" >"$TMP/cutfield.json"
jpeg_frame "$TD/photonvision/apriltag/tag1_640_480.jpg" 0 >"$TMP/frame640x480"

expect_fails 1 "calibration '/nonexistent/cam.yaml': cannot open" "missing calibration file" -- \
  "$DETECT" --calib /nonexistent/cam.yaml </dev/null
expect_fails 1 "calibration '.*truncated.json': invalid JSON" "truncated calibration JSON" -- \
  "$DETECT" --calib "$TMP/truncated.json" </dev/null
expect_fails 1 "calibration '.*bad.yaml': \"camera_matrix\" must be a 3x3 matrix" "calibration without a proper matrix" -- \
  "$DETECT" --calib "$TMP/bad.yaml" </dev/null
expect_fails 1 "calibration '.*tag1_640_480.jpg': cannot parse" "an image as calibration" -- \
  "$DETECT" --calib "$TD/photonvision/apriltag/tag1_640_480.jpg" </dev/null
expect_fails 1 "frames are 640x480 .* is for 1280x720 .*aspect" "wrong aspect ratio" -- \
  "$DETECT" --calib "$calib" <"$TMP/frame640x480"
expect_fails 1 "field layout '2019-deep-space': no such file, and not a known field name \(known: 2024-crescendo" "unknown field name" -- \
  "$DETECT" --calib "$calib" --field 2019-deep-space </dev/null
expect_fails 1 "field layout '/nonexistent/field.json': cannot open" "missing field file" -- \
  "$DETECT" --calib "$calib" --field /nonexistent/field.json </dev/null
expect_fails 1 "field layout '.*badfield.json': tags\[0\].pose: missing \"rotation\"" "invalid field layout" -- \
  "$DETECT" --calib "$calib" --field "$TMP/badfield.json" </dev/null
expect_fails 1 "field layout '.*cutfield.json': invalid JSON" "truncated field layout" -- \
  "$DETECT" --calib "$calib" --field "$TMP/cutfield.json" </dev/null
expect_fails 2 "^detect: --field needs --calib .* \(see --help\)$" "field without calibration" -- "$DETECT" --field 2024-crescendo </dev/null
expect_fails 2 "^detect: --family '25h9': unknown tag family \(known: 36h11, 16h5\) \(see --help\)$" "unknown family" -- \
  "$DETECT" --family 25h9 </dev/null
expect_fails 2 "^detect: --decimate must be between 1 and 16, got 0 \(see --help\)$" "bad decimate" -- "$DETECT" --decimate 0 </dev/null
expect_fails 2 "^detect: --robot-to-camera '1,2,3': expected 6 comma-separated numbers x,y,z,roll,pitch,yaw, got 3 \(see --help\)$" "bad --robot-to-camera" -- \
  "$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera 1,2,3 </dev/null
expect_fails 2 "^detect: --robot-to-camera '1,2,3,4,5,x': 'x' is not a number \(see --help\)$" "--robot-to-camera not numbers" -- \
  "$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera 1,2,3,4,5,x </dev/null
expect_fails 2 "--color '1-2,3': expected H1-H2,S1-S2,V1-V2" "bad --color" -- "$DETECT" --color 1-2,3 </dev/null
expect_fails 2 "^detect: --aspect '4-1': MIN must not be larger than MAX \(see --help\)$" "bad --aspect" -- \
  "$DETECT" --no-tags --color 50-70,200-255,200-255 --aspect 4-1 </dev/null
expect_fails 2 "^detect: --no-tags without --color leaves nothing to detect \(see --help\)$" "nothing to detect" -- \
  "$DETECT" --no-tags </dev/null
expect_fails 2 "^detect: --tag-size: the size must be from 0\.001 to 10 metres \(see --help\)$" "bad --tag-size" -- \
  "$DETECT" --tag-size 0 </dev/null
expect_fails 2 "--bogus" "unknown option" -- "$DETECT" --bogus </dev/null

# Malformed streams: garbage, a truncated payload, a header that lies about its size.
printf 'this is not a message\n' >"$TMP/garbage"
expect_fails 1 "." "garbage stream" -- "$DETECT" <"$TMP/garbage"
head -c $(( $(stat -c %s "$TMP/frame640x480") / 2 )) "$TMP/frame640x480" >"$TMP/truncated"
expect_fails 1 "." "truncated frame" -- "$DETECT" <"$TMP/truncated"
printf '{"type":"frame","cam":"c","seq":1,"t_capture":5,"w":99999,"h":99999,"fmt":"gray8","stride":99999,"bytes":9999800001}\n' \
  >"$TMP/huge"
expect_fails 1 "bytes" "huge frame" -- "$DETECT" <"$TMP/huge"

# A frame whose JPEG does not decode is skipped with a warning; the stream goes on.
{
  printf '{"type":"frame","cam":"c","seq":7,"t_capture":5,"w":640,"h":480,"fmt":"jpeg","bytes":10}\n0123456789'
  cat "$TMP/frame640x480"
} >"$TMP/badjpeg"
rc=0
"$DETECT" <"$TMP/badjpeg" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 0 ] || fail "an undecodable JPEG frame stopped detect (status $rc: $(cat "$TMP/err"))"
[ "$(wc -l <"$TMP/out")" -eq 1 ] && jq -e '.seq == 0 and (.tags|length) == 1' "$TMP/out" >/dev/null ||
  fail "the good frame after a bad one was not processed"
grep -q "skipping a frame: frame 7 of 'c': the JPEG payload does not decode" "$TMP/err" ||
  fail "no warning for the bad frame: $(cat "$TMP/err")"
ok "undecodable JPEG skipped with a warning: $(head -1 "$TMP/err")"

# A closed reader is a normal end (status 0), as is an empty stream.
# detect's own status: the writer before it may be hit by SIGPIPE when detect ends, which pipefail
# would report instead.
set +e
{ for i in 1 2 3 4 5 6 7 8; do cat "$TMP/frame640x480"; done; } 2>/dev/null | "$DETECT" --frames | head -c 100 >/dev/null
rc=${PIPESTATUS[1]}
set -e
[ "$rc" -eq 0 ] || fail "detect did not end quietly when its reader went away (status $rc)"
"$DETECT" </dev/null >"$TMP/out" || fail "empty input is not a clean end"
[ ! -s "$TMP/out" ] || fail "output for empty input"
ok "closed reader and empty input end quietly"
done_testing
