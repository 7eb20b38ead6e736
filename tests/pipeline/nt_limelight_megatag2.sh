#!/usr/bin/env bash
# ntpub --schema limelight with detect --robot-in's heading-constrained pose: ntcore-ts-client sees
# MegaTag2's botpose_orb_wpiblue / botpose_orb / botpose_orb_wpired in the botpose layout (6 pose
# values, latency, tag count, span, average distance, average area, 7 per tag) and stddevs (12: MegaTag1
# x y z roll pitch yaw, then MegaTag2's), as LimelightHelpers.getBotPoseEstimate_wpiBlue_MegaTag2 reads.
source "$(dirname "$0")/lib/nt.bash"
nt_npm_setup
start_ntserver

T=/limelight
keys=(botpose_wpiblue botpose_orb_wpiblue botpose_orb botpose_orb_wpired stddevs)
ts=$(for k in "${keys[@]}"; do printf '"%s/%s",' "$T" "$k"; done)
echo "{\"timeout_ms\": 20000, \"ts\": [${ts%,}]}" >"$TMP/spec.json"
(cd "$NT_DIR" && exec node receive.js "$NT_PORT" "$TMP/spec.json") >"$TMP/got.jsonl" 2>"$TMP/node.log" &
NODE=$!
PIDS+=("$NODE")
wait_for_line "$TMP/node.log" "node: subscribed" 20
# The records of lib/nt.bash plus a constrained pose from tag 8 only, the robot at (4.9, 3.1), yaw 90 deg.
mt2='{"method":"heading-constrained","tags":[8],
  "camera":{"translation":{"x":4.9,"y":3.3,"z":0.5},"rotation":{"quaternion":{"W":0.707107,"X":0,"Y":0,"Z":0.707107}}},
  "robot":{"translation":{"x":4.9,"y":3.1,"z":0},"rotation":{"quaternion":{"W":0.707107,"X":0,"Y":0,"Z":0.707107}}},
  "error":0.2,"distance":3.162278,"std_devs":[0.03,0.04,1000000],"tag_errors":[0.2],"heading":90}'
mt2_records() {
  local i
  for ((i = 1; i <= $1; i++)); do
    detections_record "$i" | jq -c --argjson c "$mt2" '.field_pose_constrained = $c' || return 0
    sleep "$2"
  done
}
mt2_records 200 0.05 | ntpub --server "127.0.0.1:$NT_PORT" --schema limelight --field-size 16.54,8.21 2>"$TMP/ntpub.log" &
PUB=$!
PIDS+=("$PUB")
wait "$NODE" || fail "the ntcore-ts-client receiver failed: $(grep -v '^    at ' "$TMP/node.log" | tail -n 20)"
kill "$PUB" 2>/dev/null || true

got() { jq -c "select(.topic == \"$T/$1\") | $2" "$TMP/got.jsonl"; }
for k in "${keys[@]}"; do
  expect_eq "$(got "$k" .type)" '"double[]"' "$k is a double[]"
done
orb=$(got botpose_orb_wpiblue .value)
expect_eq "$(jq length <<<"$orb")" 18 "botpose_orb_wpiblue: 11 + 7 for the one tag used"
expect_eq "$(jq -c '[.[0:6][] * 1000 | round]' <<<"$orb")" '[4900,3100,0,0,0,90000]' "botpose_orb_wpiblue: pose (m, deg)"
expect_eq "$(jq -c '[.[7], .[11]]' <<<"$orb")" '[1,8]' "botpose_orb_wpiblue: tag count, the tag's id"
expect_eq "$(got botpose_wpiblue '.value[0:2]')" '[4.8,3]' "botpose_wpiblue stays MegaTag1's"
expect_eq "$(got botpose_orb_wpired '[.value[0], .value[1]] | map(. * 1000 | round)')" '[11640,5110]' "botpose_orb_wpired"
expect_eq "$(got botpose_orb '[.value[0], .value[1]] | map(. * 1000 | round)')" '[-3370,-1005]' "botpose_orb: field-centred"
sd=$(got stddevs .value)
expect_eq "$(jq length <<<"$sd")" 12 "stddevs: 12 values"
expect_eq "$(jq -c '[.[0], .[1], .[6], .[7]]' <<<"$sd")" '[0.05,0.05,0.03,0.04]' "stddevs: MegaTag1 x y, MegaTag2 x y"
done_testing
