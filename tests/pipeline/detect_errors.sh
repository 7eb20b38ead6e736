#!/usr/bin/env bash
# Bad input gives one clear line on stderr and a non-zero status: unreadable or invalid calibration
# and layout files, a frame size of another aspect ratio, an unknown field name, malformed streams
# (status 1); bad option values and options that do not go together (status 2, as CLI11's own errors).
# Nothing hangs or crashes.
source "$(dirname "$0")/detect_lib.bash"

calib="$TD/photonvision/calibration/lifecam_1280.json"
printf '{"cameraIntrinsics": {"data": [1, 2' >"$WORK/truncated.json"
printf '%%YAML:1.0\ncamera_matrix: [1, 2, 3]\nimage_width: 640\nimage_height: 480\n' >"$WORK/bad.yaml"
printf '{"tags": [{"ID": 1, "pose": {"translation": {"x": 1}}}]}' >"$WORK/badfield.json"
head -c 3000 "$TD/fields/2024-crescendo.json" >"$WORK/cutfield.json"
jpeg_frame "$TD/photonvision/apriltag/tag1_640_480.jpg" 0 >"$WORK/frame640x480"

expect_error "missing calibration file" 1 "calibration '/nonexistent/cam.yaml': cannot open" -- \
  "$DETECT" --calib /nonexistent/cam.yaml </dev/null
expect_error "truncated calibration JSON" 1 "calibration '.*truncated.json': invalid JSON" -- \
  "$DETECT" --calib "$WORK/truncated.json" </dev/null
expect_error "calibration without a proper matrix" 1 "calibration '.*bad.yaml': \"camera_matrix\" must be a 3x3 matrix" -- \
  "$DETECT" --calib "$WORK/bad.yaml" </dev/null
expect_error "an image as calibration" 1 "calibration '.*tag1_640_480.jpg': cannot parse" -- \
  "$DETECT" --calib "$TD/photonvision/apriltag/tag1_640_480.jpg" </dev/null
expect_error "wrong aspect ratio" 1 "frames are 640x480 .* is for 1280x720 .*aspect" -- \
  "$DETECT" --calib "$calib" <"$WORK/frame640x480"
expect_error "unknown field name" 1 "field layout '2019-deep-space': no such file, and not a known field name \(known: 2024-crescendo" -- \
  "$DETECT" --calib "$calib" --field 2019-deep-space </dev/null
expect_error "missing field file" 1 "field layout '/nonexistent/field.json': cannot open" -- \
  "$DETECT" --calib "$calib" --field /nonexistent/field.json </dev/null
expect_error "invalid field layout" 1 "field layout '.*badfield.json': tags\[0\].pose: missing \"rotation\"" -- \
  "$DETECT" --calib "$calib" --field "$WORK/badfield.json" </dev/null
expect_error "truncated field layout" 1 "field layout '.*cutfield.json': invalid JSON" -- \
  "$DETECT" --calib "$calib" --field "$WORK/cutfield.json" </dev/null
expect_error "field without calibration" 2 "^detect: --field needs --calib .* \(see --help\)$" -- "$DETECT" --field 2024-crescendo </dev/null
expect_error "unknown family" 2 "^detect: --family '25h9': unknown tag family \(known: 36h11, 16h5\) \(see --help\)$" -- \
  "$DETECT" --family 25h9 </dev/null
expect_error "bad decimate" 2 "^detect: --decimate must be between 1 and 16, got 0 \(see --help\)$" -- "$DETECT" --decimate 0 </dev/null
expect_error "bad --robot-to-camera" 2 "^detect: --robot-to-camera '1,2,3': expected 6 comma-separated numbers x,y,z,roll,pitch,yaw, got 3 \(see --help\)$" -- \
  "$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera 1,2,3 </dev/null
expect_error "--robot-to-camera not numbers" 2 "^detect: --robot-to-camera '1,2,3,4,5,x': 'x' is not a number \(see --help\)$" -- \
  "$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera 1,2,3,4,5,x </dev/null
expect_error "bad --color" 2 "--color '1-2,3': expected H1-H2,S1-S2,V1-V2" -- "$DETECT" --color 1-2,3 </dev/null
expect_error "bad --aspect" 2 "^detect: --aspect '4-1': MIN must not be larger than MAX \(see --help\)$" -- \
  "$DETECT" --no-tags --color 50-70,200-255,200-255 --aspect 4-1 </dev/null
expect_error "nothing to detect" 2 "^detect: --no-tags without --color leaves nothing to detect \(see --help\)$" -- \
  "$DETECT" --no-tags </dev/null
expect_error "bad --tag-size" 2 "^detect: --tag-size: Value 0 not in range 0\.001[0-9]* to 10(\.0*)? \(see --help\)$" -- \
  "$DETECT" --tag-size 0 </dev/null
expect_error "unknown option" 2 "--bogus" -- "$DETECT" --bogus </dev/null

# Malformed streams: garbage, a truncated payload, a header that lies about its size.
printf 'this is not a message\n' >"$WORK/garbage"
expect_error "garbage stream" 1 "." -- "$DETECT" <"$WORK/garbage"
head -c $(( $(stat -c %s "$WORK/frame640x480") / 2 )) "$WORK/frame640x480" >"$WORK/truncated"
expect_error "truncated frame" 1 "." -- "$DETECT" <"$WORK/truncated"
printf '{"type":"frame","cam":"c","seq":1,"t_capture":5,"w":99999,"h":99999,"fmt":"gray8","stride":99999,"bytes":9999800001}\n' \
  >"$WORK/huge"
expect_error "huge frame" 1 "bytes" -- "$DETECT" <"$WORK/huge"

# A frame whose JPEG does not decode is skipped with a warning; the stream goes on.
{
  printf '{"type":"frame","cam":"c","seq":7,"t_capture":5,"w":640,"h":480,"fmt":"jpeg","bytes":10}\n0123456789'
  cat "$WORK/frame640x480"
} >"$WORK/badjpeg"
rc=0
"$DETECT" <"$WORK/badjpeg" >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 0 ] || fail "an undecodable JPEG frame stopped detect (status $rc: $(cat "$WORK/err"))"
[ "$(wc -l <"$WORK/out")" -eq 1 ] && jq -e '.seq == 0 and (.tags|length) == 1' "$WORK/out" >/dev/null ||
  fail "the good frame after a bad one was not processed"
grep -q "skipping a frame: frame 7 of 'c': the JPEG payload does not decode" "$WORK/err" ||
  fail "no warning for the bad frame: $(cat "$WORK/err")"
pass "undecodable JPEG skipped with a warning: $(head -1 "$WORK/err")"

# A closed reader is a normal end (status 0), as is an empty stream.
rc=0
{ for i in 1 2 3 4 5 6 7 8; do cat "$WORK/frame640x480"; done; } | "$DETECT" --frames | head -c 100 >/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "detect did not end quietly when its reader went away"
"$DETECT" </dev/null >"$WORK/out" || fail "empty input is not a clean end"
[ ! -s "$WORK/out" ] || fail "output for empty input"
pass "closed reader and empty input end quietly"
