#!/usr/bin/env bash
# probe --diff A B (docs/rec.md, "Recipe: detect again, with other settings"): hand-written runs
# with known differences give exactly the expected summary, per-frame lines and JSON; then detect run
# twice on a recording (--decimate 1 and 4) is compared, the numbers checked against jq's own count
# of the two runs, and a replay holding the recorded run and a new one is told apart by t_rec.
source "$(dirname "$0")/lib/detect.bash"

# 1. Hand-written runs. Frame seq 1: A finds tags 1 and 3, B only 1, B's robot 0.3 m further left and
# turned 10 degrees (quaternion W cos 5°, Z sin 5°); seq 2: both find tag 4, B 0.1 m further forward;
# seq 0 only in A, seq 3 only in B; back seq 1: the same in both.
det() {  # det CAM SEQ IDS [X Y W Z]
  local tags="" id
  for id in $3; do tags+="${tags:+,}{\"id\":$id}"; done
  printf '{"type":"detections","cam":"%s","seq":%d,"t_capture":%d,"tags":[%s]' "$1" "$2" $((1700000000000000 + $2 * 33333)) "$tags"
  [ $# -gt 3 ] && printf ',"field_pose":{"robot":{"translation":{"x":%s,"y":%s,"z":0},"rotation":{"quaternion":{"W":%s,"X":0,"Y":0,"Z":%s}}}}' "$4" "$5" "$6" "$7"
  echo "}"
}
{ det front 0 "2"; det front 1 "1 3" 1 2 1 0; det front 2 "4" 0 0 1 0; det back 1 "5"; } >"$TMP/a.jsonl"
{ det front 1 "1" 1 2.3 0.9961946981 0.0871557427; det front 2 "4" 0.1 0 1 0; det front 3 "6"; det back 1 "5"; } >"$TMP/b.jsonl"
probe --diff "$TMP/a.jsonl" "$TMP/b.jsonl" --per-frame >"$TMP/diff.txt" 2>"$TMP/diff.err" || fail "probe --diff: $(cat "$TMP/diff.err")"
cat >"$TMP/expected.txt" <<EOF
A: $TMP/a.jsonl
B: $TMP/b.jsonl
frames: 3 in both, 1 only in A, 1 only in B
tags per frame: A 1.33, B 1.00 (4 and 3 tags); tag ids differ in 1 frame
ids only in A: 3 (1 frame)
ids only in B: none
field pose: 2 frames in both, 0 only in A, 0 only in B; difference median 0.200 m 5.00 deg, max 0.300 m 10.00 deg
frames that differ: 2
front seq 1: tags A 1 3 B 1; pose 0.300 m 10.00 deg
front seq 2: tags A 4 B 4; pose 0.100 m 0.00 deg
front seq 0: only in A: tags 2
front seq 3: only in B: tags 6
EOF
diff "$TMP/expected.txt" "$TMP/diff.txt" >&2 || fail "the summary and per-frame lines differ from the expected ones"
ok "the summary and per-frame lines of the hand-written runs, exactly"
json=$(probe --diff "$TMP/a.jsonl" "$TMP/b.jsonl" --json)
expect_eq "$(jq -c '[.frames_both, .frames_only_a, .frames_only_b, .tags_a, .tags_b, .frames_ids_differ, .ids_only_a, .ids_only_b, .frames_differ]' <<<"$json")" \
  '[3,1,1,4,3,1,{"3":1},{},2]' "--json: the counts"
expect_eq "$(jq -c '.pose | [.both, .only_a, .only_b, .median_m, .max_m, (.median_deg | round), (.max_deg | round)]' <<<"$json")" \
  '[2,0,0,0.2,0.3,5,10]' "--json: the pose difference"
expect_eq "$(jq 'has("frames")' <<<"$json")" false "--json without --per-frame has no frames"
expect_eq "$(probe --diff "$TMP/a.jsonl" "$TMP/b.jsonl" --json --per-frame | jq -c '[.frames[] | [.seq, .in_a, .in_b]]')" \
  '[[1,true,true],[2,true,true],[0,true,false],[3,false,true]]' "--json --per-frame lists the frames"
expect_eq "$(probe --diff "$TMP/a.jsonl" "$TMP/b.jsonl" --pose-tolerance 0.2,15 | tail -n 1)" "frames that differ: 1" \
  "--pose-tolerance 0.2,15: only the frame whose ids differ"
expect_eq "$(probe --diff "$TMP/a.jsonl" "$TMP/a.jsonl" --json | jq -c '[.frames_both, .frames_differ, .pose.max_m]')" '[4,0,0]' \
  "a run against itself: no difference"

# Bad inputs and options: one line each.
{ det front 0 "1"; echo '{"type":"detections","cam":"front","seq":1,"t_capture":5,"tags":[{"id":"x"}]}'; } >"$TMP/bad.jsonl"
expect_fails 1 "^probe: $TMP/bad.jsonl: message 2: detections: tags\[0\]\.id: " "a malformed record names the input and message" -- \
  probe --diff "$TMP/a.jsonl" "$TMP/bad.jsonl"
echo '{"type":"note"}' >"$TMP/none.jsonl"
expect_fails 1 "^probe: $TMP/none.jsonl: no detections records \(1 messages\)$" "an input without detections" -- \
  probe --diff "$TMP/none.jsonl" "$TMP/a.jsonl"
expect_fails 1 "^probe: .*nothing.jsonl" "a missing input" -- probe --diff "$TMP/a.jsonl" "$TMP/nothing.jsonl"
expect_fails 2 "--pose-tolerance 'far': expected M,DEG" "a bad --pose-tolerance" -- \
  probe --diff "$TMP/a.jsonl" "$TMP/b.jsonl" --pose-tolerance far
expect_fails 2 "go with --diff A B" "--per-frame without --diff" -- probe --per-frame </dev/null
expect_fails 2 "--diff" "--diff with one input" -- probe --diff "$TMP/a.jsonl"
expect_fails 2 "--diff: reads its two inputs" "--diff with --summary" -- probe --diff "$TMP/a.jsonl" "$TMP/b.jsonl" --summary

# 2. detect twice on a recording: the 2024 photos (each twice) as JPEG frames, recorded through rec.
t0=1700000000000000 seq=0
for p in Amp_42in GeneralField2 SpeakerCenter_63in StageLeft_51in Amp_42in GeneralField2 SpeakerCenter_63in StageLeft_51in; do
  jpeg_frame "$TD/photonvision/2024/$p.jpg" $seq field-cam $((t0 + seq * 33333))
  seq=$((seq + 1))
done >"$TMP/frames"
rec --in "$TMP/frames" --out "$TMP/match.rvs" 2>"$TMP/rec.err" || fail "rec: $(cat "$TMP/rec.err")"
run_detect() {  # run_detect DECIMATE < stream > records
  "$DETECT" --calib "$TD/photonvision/calibration/lifecam_1280.json" --field 2024-crescendo \
    --robot-to-camera 0.3,0,0.7556,0,-20,0 --decimate "$1" 2>>"$TMP/detect.err"
}
cap --file "$TMP/match.rvs" 2>/dev/null | run_detect 1 >"$TMP/d1.jsonl"
cap --file "$TMP/match.rvs" 2>/dev/null | run_detect 4 >"$TMP/d4.jsonl"
probe --diff "$TMP/d1.jsonl" "$TMP/d4.jsonl" --json --per-frame >"$TMP/d.json" || fail "probe --diff of the two runs"
expect_eq "$(jq -c '[.frames_both, .frames_only_a, .frames_only_b]' "$TMP/d.json")" '[8,0,0]' "the 8 frames are in both runs"
tags() { jq -s '[.[] | select(.type == "detections") | .tags | length] | add' "$1"; }
expect_eq "$(jq '.tags_a' "$TMP/d.json")" "$(tags "$TMP/d1.jsonl")" "A's tags, as jq counts them"
expect_eq "$(jq '.tags_b' "$TMP/d.json")" "$(tags "$TMP/d4.jsonl")" "B's tags, as jq counts them"
# The ids only one run found, and the largest distance between the robot positions, computed by jq.
jq -s -c --slurpfile b "$TMP/d4.jsonl" '
  [range(length) as $i | {a: .[$i], b: $b[$i]} | select(.a.seq == .b.seq)] as $pairs |
  { only_a: ([$pairs[] | ([.a.tags[].id] - [.b.tags[].id] | unique)[]] | group_by(.) | map({key: (.[0] | tostring), value: length}) | from_entries),
    only_b: ([$pairs[] | ([.b.tags[].id] - [.a.tags[].id] | unique)[]] | group_by(.) | map({key: (.[0] | tostring), value: length}) | from_entries),
    max_m: ([$pairs[] | select(.a.field_pose.robot and .b.field_pose.robot) |
             [.a.field_pose.robot.translation, .b.field_pose.robot.translation] |
             (((.[0].x - .[1].x) | . * .) + ((.[0].y - .[1].y) | . * .) + ((.[0].z - .[1].z) | . * .)) | sqrt] | max // 0) }' \
  "$TMP/d1.jsonl" >"$TMP/jq.json"
expect_eq "$(jq -c '.ids_only_a' "$TMP/d.json")" "$(jq -c '.only_a' "$TMP/jq.json")" "ids only in A, as jq finds them"
expect_eq "$(jq -c '.ids_only_b' "$TMP/d.json")" "$(jq -c '.only_b' "$TMP/jq.json")" "ids only in B, as jq finds them"
expect_eq "$(jq -n --slurpfile d "$TMP/d.json" --slurpfile j "$TMP/jq.json" '($d[0].pose.max_m - $j[0].max_m) | fabs < 2e-6')" true \
  "the largest pose difference, as jq computes it ($(jq '.pose.max_m' "$TMP/d.json") m)"
expect_eq "$(jq '[.tags_a != .tags_b, .pose.max_m > 0] | any' "$TMP/d.json")" true "the two runs differ (else this proves little)"
expect_eq "$(jq '.frames_differ == (.frames | length)' "$TMP/d.json")" true "--per-frame lists every frame that differs"

# 3. A replay of a recording holding the first run: detect passes it through beside its new run;
# probe tells them apart by t_rec, so the recording against the replay is run 1 against run 4.
rec --in "$TMP/frames" --in "$TMP/d1.jsonl" --out "$TMP/both.rvs" 2>"$TMP/rec2.err" || fail "rec: $(cat "$TMP/rec2.err")"
cap --file "$TMP/both.rvs" 2>/dev/null | run_detect 4 >"$TMP/replay.jsonl"
expect_eq "$(jq -s '[.[] | select(.type == "detections")] | length' "$TMP/replay.jsonl")" 16 "the replay holds both runs"
expect_eq "$(probe --diff "$TMP/both.rvs" "$TMP/replay.jsonl" --json | jq -c 'del(.a, .b)')" \
  "$(jq -c 'del(.a, .b, .frames)' "$TMP/d.json")" "the recorded run against the replay's new run: run 1 against run 4"
done_testing
