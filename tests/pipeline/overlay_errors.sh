#!/usr/bin/env bash
# Bad options and bad input: one clear line on stderr, the right status, never a crash or a hang;
# malformed records and undecodable frames are reported and skipped, the stream goes on.
source "$(dirname "$0")/lib/overlay.bash"

# Bad option values: status 2.
expect_fails 2 "--text 'RPM \{/x': unclosed '\{' at column 5" "unclosed brace" -- overlay --text 'RPM {/x'
expect_fails 2 "'%q' is not a printf format" "bad format" -- overlay --text '{/x:%q}'
expect_fails 2 "unknown name 'rpm'" "unknown built-in" -- overlay --text '{rpm}'
expect_fails 2 "unmatched '\}'" "lone closing brace" -- overlay --text 'a}'
expect_fails 2 "--tile 'front': expected 2 to 16 camera names" "--tile with one camera" -- overlay --tile front
expect_fails 2 "--tile 'a,a': camera 'a' is listed twice" "--tile with a camera twice" -- overlay --tile a,a
expect_fails 2 "--tile 'a,,b': empty camera name" "--tile with an empty name" -- overlay --tile a,,b
expect_fails 2 "^overlay: --size '640': expected WxH, e.g. 1280x720 \(see --help\)$" "bad --size" -- overlay --tile a,b --size 640
expect_fails 2 "^overlay: --size '5x5': width and height must be from 32 to 8192 \(see --help\)$" "--size too small" -- \
  overlay --tile a,b --size 5x5
expect_fails 2 "^overlay: --calib '=c.yaml': no camera name before '=' \(see --help\)$" "--calib without a camera name" -- \
  overlay --calib =c.yaml
expect_fails 2 "--size is only for --tile" "--size without --tile" -- overlay --size 640x480
expect_fails 2 "--crosshair '2,0': X and Y must be from -1 to 1" "crosshair off the image" -- overlay --crosshair 2,0
expect_fails 2 "--crosshair 'x': expected \[CAM=\]X,Y" "crosshair not numbers" -- overlay --crosshair x
expect_fails 2 "--hud 'fps,rpm': unknown item 'rpm'" "bad --hud" -- overlay --hud fps,rpm
expect_fails 2 "--fmt 'gray8': expected bgr8 or jpeg" "bad --fmt" -- overlay --fmt gray8
expect_fails 2 "--max-wait must be 0 or more" "negative --max-wait" -- overlay --max-wait -1
expect_fails 2 "--pose-topic needs --field" "--pose-topic without a map" -- overlay --pose-topic /x
expect_fails 2 "--no-stdin without any --in" "no input at all" -- overlay --no-stdin
expect_fails 2 "--in - and --no-stdin contradict" "contradicting inputs" -- overlay --no-stdin --in -
# Files that cannot be used: status 1.
expect_fails 1 "calibration '$TMP/none.yaml': cannot open" "missing calibration" -- overlay --calib "$TMP/none.yaml"
expect_fails 1 "field layout 'nowhere': no such file" "unknown field" -- overlay --field nowhere
expect_fails 1 "$TMP/none.rvk: cannot open" "missing --in file" -- overlay --in "$TMP/none.rvk"

# A stream that is not an rvkit stream: status 1, naming the input, the message and the problem.
printf 'hello\n' >"$TMP/garbage"
expect_fails 1 "^overlay: stdin: message 1 at byte 0: bad JSON" "garbage on stdin" -- overlay <"$TMP/garbage"
cap --test-pattern --fps 0 --count 2 --size 64x48 >"$TMP/frames"
head -c 5000 "$TMP/frames" >"$TMP/truncated"
expect_fails 1 "stdin: message 1 at byte 0: truncated" "a truncated frame" -- overlay <"$TMP/truncated"
expect_fails 1 "^overlay: $TMP/garbage: message 1 at byte 0: bad JSON" "garbage on an --in input" -- \
  overlay --in "$TMP/garbage" <"$TMP/frames"

# Malformed records: one warning line naming the record and the problem; every frame still comes out.
cap --test-pattern --fps 0 --count 3 --size 320x240 >"$TMP/three"
{
  head -c $(( $(head -1 "$TMP/three" | wc -c) + 230400 )) "$TMP/three"
  echo '{"type":"detections","cam":"test","seq":0,"tags":[{"id":"x","corners":[]},{"id":2,"corners":[[1,1],[9,1],[9,9],[1,9]]}]}'
  echo '{"type":"detections","cam":"test","seq":1,"tags":"many","targets":[{"bbox":[1,2]}],"field_pose":{"robot":{}}}'
  echo '{"type":"nt","topic":"/x","value":{"deep":[[[[]]]]}}'
  echo '{"type":"weird"}'
  tail -c +$(( $(head -1 "$TMP/three" | wc -c) + 230401 )) "$TMP/three"
} >"$TMP/bad-records"
rc=0
overlay --text '{/x} {detections/tags/0/id}' <"$TMP/bad-records" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "$rc" "0" "malformed records are not fatal"
expect_eq "$(messages "$TMP/out" | grep -c '^frame')" "3" "every frame still comes out"
expect_match "$(head -1 "$TMP/err")" "^overlay: stdin: message 2: detections record for test/0: tags\[0\]\.id: missing or not an integer; the rest is drawn$" \
  "the first malformed record is named with its problem"
(( $(wc -l <"$TMP/err") <= 2 )) || fail "too many warning lines: $(cat "$TMP/err")"
ok "warnings are limited to one line a second (and a total at the end)"

# A JPEG frame whose payload does not decode: skipped with a warning, the next frame is drawn.
{
  printf '{"type":"frame","cam":"j","seq":0,"t_capture":1,"w":8,"h":8,"fmt":"jpeg","bytes":4}\n'
  printf 'oops'
  cat "$TMP/frames"
} >"$TMP/badjpeg"
rc=0
overlay --hud none <"$TMP/badjpeg" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "$rc" "0" "an undecodable frame is not fatal"
expect_match "$(cat "$TMP/err")" "skipping a frame: frame 0 of 'j': the JPEG payload does not decode" "it is reported"
expect_eq "$(messages "$TMP/out" | awk '{print $2}' | tr '\n' ' ')" "test test " "the other frames come out"

# A reader that goes away is a normal end, as is Ctrl-C.
cap --test-pattern --fps 0 --count 100 --size 320x240 | overlay | head -c 1000 >/dev/null
expect_eq "${PIPESTATUS[1]}" "0" "a closed output ends overlay quietly"
mkfifo "$TMP/never" "$TMP/idle"
exec 4<>"$TMP/idle"  # a stdin that stays open and quiet
overlay --in "$TMP/never" <"$TMP/idle" >/dev/null 2>"$TMP/err-int" &
pid=$!; PIDS+=($pid)
wait_sigint_handlers $pid
kill -INT $pid
rc=0; wait $pid || rc=$?
expect_eq "$rc:$(cat "$TMP/err-int")" "0:" "Ctrl-C ends overlay quietly with status 0, even with a FIFO input nobody opened"
exec 4<&-
done_testing
