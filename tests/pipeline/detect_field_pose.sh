#!/usr/bin/env bash
# detect on real photos of the 2024 field, fed as JPEG frames through a pipe: one detections
# record per frame with the frame's cam/seq/t_capture, tags, and a field pose written exactly as
# the WPILib layout JSON writes poses.
source "$(dirname "$0")/lib/detect.bash"

t0=1700000000000000
# photo_frames NAME...: the 2024 photos as JPEG frames of camera field-cam, 30 fps from t0.
photo_frames() {
  local seq=0 p
  for p in "$@"; do
    jpeg_frame "$TD/photonvision/2024/$p.jpg" $seq field-cam $((t0 + seq * 33333))
    seq=$((seq + 1))
  done
}
photos=(Amp_42in GeneralField2 SpeakerCenter_63in StageLeft_51in)
photo_frames "${photos[@]}" >"$TMP/frames"

"$DETECT" --calib "$TD/photonvision/calibration/lifecam_1280.json" --field 2024-crescendo \
  --robot-to-camera 0.3,0,0.7556,0,-20,0 <"$TMP/frames" >"$TMP/records"

[ "$(wc -l <"$TMP/records")" -eq ${#photos[@]} ] || fail "expected ${#photos[@]} records, got $(wc -l <"$TMP/records")"
jq -e -s 'length == 4 and all(.type == "detections" and .cam == "field-cam")' "$TMP/records" >/dev/null ||
  fail "records are not detections of field-cam"
jq -e -s '[.[].seq] == [0,1,2,3] and [.[].t_capture] == [1700000000000000,1700000000033333,1700000000066666,1700000000099999]' \
  "$TMP/records" >/dev/null || fail "seq/t_capture not carried over"
jq -e -s 'all(.t_done > 1700000000000000 and .w == 1280 and .h == 720)' "$TMP/records" >/dev/null || fail "t_done, w or h wrong"
ok "one record per frame, cam/seq/t_capture kept, t_done added"

# Tags: id, hamming, margin, four corners, centre, tx/ty, area, distance, ambiguity, two poses best first.
jq -e -s '[.[].tags[]] | length >= 7 and all(
    (.id|type) == "number" and .hamming == 0 and .margin >= 35 and (.corners|length) == 4 and
    (.center|length) == 2 and (.tx|type) == "number" and (.ty|type) == "number" and .area > 0 and .area < 100 and
    .distance > 0.5 and .ambiguity >= 0 and .ambiguity <= 1 and (.poses|length) == 2 and
    .poses[0].error <= .poses[1].error)' "$TMP/records" >/dev/null || fail "tag fields"
ok "tag fields present with sane values"

# The first photo: tag 5 (amp) only, straight ahead and a little right, about 1.1 m away.
jq -e -s '.[0].tags | length == 1 and .[0].id == 5 and .[0].distance > 1.0 and .[0].distance < 1.4' \
  "$TMP/records" >/dev/null || fail "Amp_42in: expected tag 5 at ~1.1 m: $(head -1 "$TMP/records")"

# Field pose: the exact WPILib JSON form for poses, camera ~0.76 m high, robot on the floor.
pose_form='(keys == ["rotation","translation"]) and (.translation|keys) == ["x","y","z"] and
           (.rotation|keys) == ["quaternion"] and (.rotation.quaternion|keys) == ["W","X","Y","Z"]'
jq -e -s "all(.field_pose | (.camera | $pose_form) and (.robot | $pose_form))" "$TMP/records" >/dev/null ||
  fail "poses not in the layout's JSON form"
jq -e -s 'all(.field_pose | .camera.translation.z > 0.6 and .camera.translation.z < 0.91 and
              (.robot.translation.z | fabs) < 0.15 and (.std_devs|length) == 3 and all(.std_devs[]; . > 0))' \
  "$TMP/records" >/dev/null || fail "field pose heights: $(jq -c '.field_pose.camera.translation' "$TMP/records")"
jq -e -s '.[0].field_pose.method == "single-tag" and .[0].field_pose.tags == [5] and
          .[1].field_pose.method == "multi-tag" and (.[1].field_pose.tags|length) >= 2' "$TMP/records" >/dev/null ||
  fail "single-tag / multi-tag methods"
ok "field poses: $(jq -c '[.field_pose.method, .field_pose.tags, .field_pose.camera.translation.z]' "$TMP/records" | tr '\n' ' ')"

# The issue's test, through the tool with its default options: every 2024 photo that shows a field
# tag gives a field pose on the field with the camera 29.75 in (0.7557 m) high, within 0.15 m.
all=(Amp_42in Amp_85in BackAmpZone_117in GeneralField1 GeneralField2 GeneralField3 GeneralField4 GeneralField5
     Loading_83in Podium_103in SpeakerCenter_143in SpeakerCenter_19in SpeakerCenter_63in StageLeft_51in StageRight_51in)
photo_frames "${all[@]}" >"$TMP/all-frames"
calib=$TD/photonvision/calibration/lifecam_1280.json
"$DETECT" --calib "$calib" --field 2024-crescendo <"$TMP/all-frames" >"$TMP/all"
heights=$(jq -r '.field_pose.camera.translation.z // "none"' "$TMP/all" | tr '\n' ' ')
jq -e -s --argjson n ${#all[@]} 'length == $n and all(.field_pose as $f | $f != null and
      $f.camera.translation.x > 0 and $f.camera.translation.x < 16.541 and
      $f.camera.translation.y > 0 and $f.camera.translation.y < 8.211 and
      ($f.camera.translation.z - 0.7557 | fabs) <= 0.15)' "$TMP/all" >/dev/null ||
  fail "2024 photos: camera heights (want 0.76 +- 0.15 m): $heights"
ok "all ${#all[@]} 2024 photos, default options: camera on the field, heights $heights"
# --no-refine-corners keeps libapriltag's corners (faster): the corners differ from the refined ones.
"$DETECT" --calib "$calib" --field 2024-crescendo --no-refine-corners <"$TMP/all-frames" >"$TMP/plain"
[ "$(jq -c '[.tags[].corners]' "$TMP/plain")" != "$(jq -c '[.tags[].corners]' "$TMP/all")" ] ||
  fail "--no-refine-corners changed nothing"
"$DETECT" <"$TMP/all-frames" >"$TMP/nocalib"
[ "$(jq -c '[.tags[].corners]' "$TMP/plain")" == "$(jq -c '[.tags[].corners]' "$TMP/nocalib")" ] ||
  fail "without --calib the corners should be libapriltag's, as with --no-refine-corners"
ok "corner refinement: on with --calib, off without it or with --no-refine-corners"
done_testing
