#!/usr/bin/env bash
# detect --robot-in: the nt records ntsub writes (here a file, and a FIFO written late) give the
# robot's heading; each frame gets a heading-constrained pose (field_pose_constrained) at the heading
# interpolated at its t_capture, or null with the reason. On the 2024 field photos, with the heading
# the unconstrained pose gives, the constrained robot position lands within a few cm of it.
source "$(dirname "$0")/lib/detect.bash"

t0=1700000000000000
photos=(Amp_42in GeneralField2 SpeakerCenter_63in StageLeft_51in)
seq=0
for p in "${photos[@]}"; do
  jpeg_frame "$TD/photonvision/2024/$p.jpg" $seq field-cam $((t0 + seq * 1000000))
  seq=$((seq + 1))
done >"$TMP/frames"
calib=$TD/photonvision/calibration/lifecam_1280.json
r2c=0.3,0,0.7556,0,-20,0
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera $r2c <"$TMP/frames" >"$TMP/plain"
jq -e -s 'all(has("field_pose_constrained") | not)' "$TMP/plain" >/dev/null || fail "no --robot-in: no constrained pose"

# The unconstrained robot yaw of each frame (degrees), as the robot's gyro would give it.
mapfile -t yaws < <(jq -r '.field_pose.robot.rotation.quaternion | atan2(2 * (.W * .Z + .X * .Y); 1 - 2 * (.Y * .Y + .Z * .Z)) * 180 / 3.141592653589793' "$TMP/plain")
[ ${#yaws[@]} -eq 4 ] || fail "expected 4 yaws, got ${#yaws[@]}"
# nt records: per frame, samples 20 ms before and after its capture (the yaw 1 deg apart, the frame
# half way), as LimelightHelpers.SetRobotOrientation writes them, with other topics mixed in.
{
  for i in 0 1 2; do
    t=$((t0 + i * 1000000))
    jq -nc --argjson t $((t - 20000)) --argjson y "${yaws[$i]}" \
      '{type:"nt",topic:"/limelight/robot_orientation_set",ntype:"double[]",value:[$y - 0.5,0,0,0,0,0],t:$t}'
    jq -nc --argjson t $((t - 5000)) '{type:"nt",topic:"/SmartDashboard/x",ntype:"double",value:1.5,t:$t}'
    jq -nc --argjson t $((t + 20000)) --argjson y "${yaws[$i]}" \
      '{type:"nt",topic:"/limelight/robot_orientation_set",ntype:"double[]",value:[$y + 0.5,0,0,0,0,0],t:$t}'
  done
  # Frame 3: the newest heading is 300 ms old.
  jq -nc --argjson t $((t0 + 3000000 - 300000)) --argjson y "${yaws[3]}" \
    '{type:"nt",topic:"/limelight/robot_orientation_set",ntype:"double[]",value:[$y,0,0,0,0,0],t:$t}'
} >"$TMP/nt"
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera $r2c --robot-in "$TMP/nt" --heading-wait 2000 \
  <"$TMP/frames" >"$TMP/mt2"
[ "$(wc -l <"$TMP/mt2")" -eq 4 ] || fail "expected 4 records, got $(wc -l <"$TMP/mt2")"
jq -e -s '.[0:3] | all(.field_pose_constrained | .method == "heading-constrained" and (.tags|length) >= 1 and
            (.tag_errors|length) == (.tags|length) and (.std_devs|length) == 3 and .std_devs[0] > 0 and
            (.robot.translation.z | fabs) < 0.3 and has("ambiguity") == false)' "$TMP/mt2" >/dev/null ||
  fail "constrained poses: $(jq -c '.field_pose_constrained' "$TMP/mt2")"
# The heading used is the one interpolated at t_capture (the mean of the two samples), not the newest.
for i in 0 1 2; do
  h=$(jq -s ".[$i].field_pose_constrained.heading" "$TMP/mt2")
  awk -v h="$h" -v y="${yaws[$i]}" 'BEGIN { d = h - y; if (d > 180) d -= 360; if (d < -180) d += 360;
    exit !(d < 0.01 && d > -0.01) }' || fail "frame $i: heading $h, want ${yaws[$i]} (interpolated)"
done
ok "the heading is interpolated at each frame's t_capture"
dist=$(jq -s -r '.[0:3][] | [.field_pose.robot.translation, .field_pose_constrained.robot.translation] |
  ((.[0].x - .[1].x) * (.[0].x - .[1].x) + (.[0].y - .[1].y) * (.[0].y - .[1].y)) | sqrt' "$TMP/mt2" | tr '\n' ' ')
jq -e -s '.[0:3] | all([.field_pose.robot.translation, .field_pose_constrained.robot.translation] |
  ((.[0].x - .[1].x) * (.[0].x - .[1].x) + (.[0].y - .[1].y) * (.[0].y - .[1].y)) | sqrt < 0.25)' "$TMP/mt2" >/dev/null ||
  fail "constrained and unconstrained robot positions differ: $dist m"
ok "constrained robot positions within 0.25 m of the unconstrained ones: $dist m"
expect_eq "$(jq -s -c '.[3] | [.field_pose_constrained, .constrained_reason]' "$TMP/mt2")" \
  '[null,"heading 300 ms older than the frame (limit 100 ms)"]' "a stale heading: null with the reason"
jq -e -s '.[0:3] | all(.field_pose != null and has("constrained_reason") == false)' "$TMP/mt2" >/dev/null ||
  fail "the unconstrained pose stays, no reason with a pose"

# No heading at all (an input with no such topic): every frame says so.
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera $r2c --robot-in /dev/null <"$TMP/frames" >"$TMP/none"
expect_eq "$(jq -c -s '[.[].constrained_reason] | unique' "$TMP/none")" '["no heading received"]' "no heading received"

# A FIFO whose writer comes late: with --heading-wait the frames wait for it.
mkfifo "$TMP/fifo"
(sleep 1; cat "$TMP/nt" >"$TMP/fifo") &
PIDS+=($!)
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera $r2c --robot-in "$TMP/fifo" --heading-wait 5000 \
  <"$TMP/frames" >"$TMP/fifo-out"
expect_eq "$(jq -s -c '[.[].field_pose_constrained.method]' "$TMP/fifo-out")" \
  '["heading-constrained","heading-constrained","heading-constrained",null]' "--robot-in from a FIFO"

# fiducial_id_filters_set beside the heading topic keeps only those tags (GeneralField2 shows 7, 8 and 9).
{ jq -nc --argjson t $((t0 - 100000)) '{type:"nt",topic:"/limelight/fiducial_id_filters_set",ntype:"int[]",value:[7,8],t:$t}'
  cat "$TMP/nt"; } >"$TMP/nt-filter"
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-to-camera $r2c --robot-in "$TMP/nt-filter" --heading-wait 2000 \
  <"$TMP/frames" >"$TMP/filtered"
expect_eq "$(jq -s -c '.[1] | [[.tags[].id], .field_pose.tags]' "$TMP/filtered")" '[[7,8],[7,8]]' \
  "fiducial_id_filters_set from --robot-in"
# Robot code's camerapose_robotspace_set instead of --robot-to-camera, in Limelight's robot space as
# LimelightHelpers.setCameraPose_RobotSpace writes it ([forward, right, up, roll, pitch up, yaw]: the
# mount of $r2c), and its priorityid: the same poses as with --robot-to-camera, priority_id in the record.
{ jq -nc --argjson t $((t0 - 100000)) '{type:"nt",topic:"/limelight/camerapose_robotspace_set",ntype:"double[]",value:[0.3,0,0.7556,0,20,0],t:$t}'
  jq -nc --argjson t $((t0 - 100000)) '{type:"nt",topic:"/limelight/priorityid",ntype:"int",value:8,t:$t}'
  cat "$TMP/nt"; } >"$TMP/nt-campose"
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-in "$TMP/nt-campose" --heading-wait 2000 \
  <"$TMP/frames" >"$TMP/campose" 2>"$TMP/campose.err" || fail "detect with camerapose_robotspace_set: $(cat "$TMP/campose.err")"
jq -e -n --slurpfile a "$TMP/mt2" --slurpfile b "$TMP/campose" '[range(0; 3)] | all(. as $i |
    [$a[$i], $b[$i]] | map(.field_pose_constrained.robot.translation) as [$p, $q] |
    [$a[$i], $b[$i]] | map(.field_pose.robot.translation) as [$u, $v] |
    (($p.x - $q.x) | fabs) < 1e-6 and (($p.y - $q.y) | fabs) < 1e-6 and (($u.z - $v.z) | fabs) < 1e-6)' >/dev/null ||
  fail "camerapose_robotspace_set should give the poses of --robot-to-camera $r2c: $(jq -c '.field_pose_constrained.robot.translation' "$TMP/campose")"
ok "camerapose_robotspace_set from robot code: the poses of --robot-to-camera"
expect_eq "$(jq -s -c '[.[].priority_id] | unique' "$TMP/campose")" '[8]' "priorityid from robot code is the record's priority_id"
# --workers 2: the settings reach both workers' pipelines, the same records (t_start and t_done aside).
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-in "$TMP/nt-campose" --heading-wait 2000 --workers 2 \
  <"$TMP/frames" >"$TMP/campose2" 2>"$TMP/campose2.err" || fail "detect --workers 2 --robot-in: $(cat "$TMP/campose2.err")"
expect_eq "$(jq -c 'del(.t_start, .t_done)' "$TMP/campose2" | md5sum)" "$(jq -c 'del(.t_start, .t_done)' "$TMP/campose" | md5sum)" \
  "--workers 2 --robot-in: the records of one worker, settings and constrained poses included"
# The same mount as WPILib Transform3d values, with --camera-pose-axes wpilib.
{ jq -nc --argjson t $((t0 - 100000)) '{type:"nt",topic:"/limelight/camerapose_robotspace_set",ntype:"double[]",value:[0.3,0,0.7556,0,-20,0],t:$t}'
  cat "$TMP/nt"; } >"$TMP/nt-campose-wpilib"
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-in "$TMP/nt-campose-wpilib" --camera-pose-axes wpilib \
  --heading-wait 2000 <"$TMP/frames" >"$TMP/campose-wpilib"
expect_eq "$(jq -c '.field_pose_constrained.robot.translation' "$TMP/campose-wpilib")" \
  "$(jq -c '.field_pose_constrained.robot.translation' "$TMP/campose")" "--camera-pose-axes wpilib reads a Transform3d's values"
# Neither: every frame says what is missing; a malformed value is one warning and changes nothing.
{ jq -nc --argjson t $((t0 - 100000)) '{type:"nt",topic:"/limelight/camerapose_robotspace_set",ntype:"double[]",value:[0.3,0],t:$t}'
  cat "$TMP/nt"; } >"$TMP/nt-badpose"
"$DETECT" --calib "$calib" --field 2024-crescendo --robot-in "$TMP/nt-badpose" --heading-wait 2000 \
  <"$TMP/frames" >"$TMP/nopose" 2>"$TMP/nopose.err" || fail "detect with a malformed camerapose_robotspace_set: $(cat "$TMP/nopose.err")"
expect_eq "$(jq -c -s '[.[].constrained_reason] | unique' "$TMP/nopose")" \
  '["no robot-to-camera transform (--robot-to-camera, or camerapose_robotspace_set from robot code)"]' \
  "no robot-to-camera transform: the reason in every record"
expect_match "$(cat "$TMP/nopose.err")" "^detect: --robot-in .*nt-badpose: /limelight/camerapose_robotspace_set: expected 6 numbers .*\(setting unchanged\)" \
  "a malformed camerapose_robotspace_set is one warning naming the topic"
expect_eq "$(wc -l <"$TMP/nopose")" 4 "... and every frame still gets its record"

# --ignore-ids leaves a tag out of everything; --tag-size ID:SIZE changes that tag's distance only.
"$DETECT" --calib "$calib" --field 2024-crescendo --ignore-ids 9 <"$TMP/frames" >"$TMP/ignored"
expect_eq "$(jq -s -c '.[1] | [[.tags[].id], .field_pose.tags]' "$TMP/ignored")" '[[7,8],[7,8]]' "--ignore-ids 9"
"$DETECT" --calib "$calib" --field 2024-crescendo --tag-size 0.1651 --tag-size 7:0.3302 <"$TMP/frames" >"$TMP/sized"
jq -e -n --slurpfile a "$TMP/plain" --slurpfile b "$TMP/sized" \
  '($a[1].tags | map({(.id|tostring): .distance}) | add) as $da | ($b[1].tags | map({(.id|tostring): .distance}) | add) as $db |
   (($db["7"] / $da["7"]) - 2 | fabs) < 1e-3 and $db["8"] == $da["8"]' >/dev/null ||
  fail "--tag-size 7:0.3302 should double tag 7's distance only"
ok "--tag-size 7:0.3302 doubles tag 7's distance, leaves tag 8's"

# Bad options exit 2 with one line.
expect_fails 2 "--camera-pose-axes 'ned': expected limelight or wpilib" "a bad --camera-pose-axes" -- "$DETECT" --camera-pose-axes ned
expect_fails 2 "--robot-in needs --field" "--robot-in without --field" -- "$DETECT" --calib "$calib" --robot-to-camera $r2c --robot-in "$TMP/nt"
expect_fails 2 "max-yaw-rate" "--max-yaw-rate negative" -- "$DETECT" --max-yaw-rate -1
expect_fails 2 "^detect: --tag-size: expected SIZE, ID:SIZE or FAMILY:SIZE in metres" "--tag-size 7:big" -- "$DETECT" --tag-size 7:big
done_testing
