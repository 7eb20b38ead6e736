# ntpub --schema limelight: ntcore-ts-client sees Limelight's keys with Limelight's types and the
# array layouts LimelightHelpers reads (botpose*: 6 pose values, latency, tag count, span,
# average distance, average area, then 7 values per tag; rawfiducials: 7 per tag).
source "$(dirname "$0")/lib/nt.bash"
nt_npm_setup
start_ntserver

T=/limelight-front
keys=(tv tx ty ta tid tl cl hb getpipe botpose botpose_wpiblue botpose_wpired targetpose_cameraspace
      camerapose_targetspace rawfiducials json)
ts=$(for k in "${keys[@]}"; do printf '"%s/%s",' "$T" "$k"; done)
echo "{\"timeout_ms\": 20000, \"ts\": [${ts%,}]}" >"$TMP/spec.json"
(cd "$NT_DIR" && exec node receive.js "$NT_PORT" "$TMP/spec.json") >"$TMP/got.jsonl" 2>"$TMP/node.log" &
NODE=$!
PIDS+=("$NODE")
wait_for_line "$TMP/node.log" "node: subscribed" 20
records 400 0.05 | ntpub --server "127.0.0.1:$NT_PORT" --schema limelight --table limelight-front \
  --field-size 16.54,8.21 2>"$TMP/ntpub.log" &
PUB=$!
PIDS+=("$PUB")
wait "$NODE" || fail "the ntcore-ts-client receiver failed: $(grep -v '^    at ' "$TMP/node.log" | tail -n 20)"
kill "$PUB" 2>/dev/null || true

got() { jq -c "select(.topic == \"$T/$1\") | $2" "$TMP/got.jsonl"; }
for k in tv tx ty ta tid tl cl hb getpipe; do
  expect_eq "$(got $k .type)" '"double"' "$k is a double"
done
for k in botpose botpose_wpiblue botpose_wpired targetpose_cameraspace camerapose_targetspace rawfiducials; do
  expect_eq "$(got $k .type)" '"double[]"' "$k is a double[]"
done
expect_eq "$(got json .type)" '"string"' "json is a string"
expect_eq "$(got tv .value)" 1 "tv: a target"
expect_eq "$(got tid .value)" 7 "tid: the largest tag"
expect_eq "$(got tx .value)" 3.5 "tx"
expect_eq "$(got ta .value)" 2.5 "ta"
tl=$(got tl .value)
expect_eq "$tl" 5 "tl: t_done - t_capture in ms"

# botpose_wpiblue: [x y z roll pitch yaw latency tagcount span avgdist avgarea (id txnc tync ta dcam drobot amb)*]
blue=$(got botpose_wpiblue .value)
expect_eq "$(jq length <<<"$blue")" 25 "botpose_wpiblue: 11 + 7 per tag"
expect_eq "$(jq -c '.[0:6]' <<<"$blue")" '[4.8,3,0,0,0,0]' "botpose_wpiblue: pose (m, deg)"
expect_eq "$(jq -c '[.[7], .[10]]' <<<"$blue")" '[2,1.75]' "botpose_wpiblue: tag count, average area"
expect_eq "$(jq -c '.[8] * 1000 | round' <<<"$blue")" 1414 "botpose_wpiblue: tag span (m)"
expect_eq "$(jq -c '.[9] * 1000 | round' <<<"$blue")" 2581 "botpose_wpiblue: average distance (m)"
expect_eq "$(jq -c '[.[11], .[12], .[13], .[14], .[15], .[17]]' <<<"$blue")" '[7,3.5,-1.25,2.5,2,0.05]' \
  "botpose_wpiblue: first tag id, txnc, tync, ta, distance, ambiguity"
expect_eq "$(jq -c '.[18]' <<<"$blue")" 8 "botpose_wpiblue: second tag id"
lat=$(jq '.[6]' <<<"$blue")
awk -v l="$lat" -v tl="$tl" 'BEGIN { exit !(l >= tl) }' || fail "botpose latency $lat < tl $tl"
ok "botpose_wpiblue: latency (tl + cl) at least tl"
center=$(got botpose .value)
expect_eq "$(jq -c '[.[0], .[1]] | map(. * 1000 | round)' <<<"$center")" '[-3470,-1105]' "botpose: field-centred"
red=$(got botpose_wpired .value)
expect_eq "$(jq -c '[.[0], .[1], .[5]] | map(. * 1000 | round)' <<<"$red")" '[11740,5210,180000]' "botpose_wpired"
raw=$(got rawfiducials .value)
expect_eq "$(jq length <<<"$raw")" 14 "rawfiducials: 7 per tag"
expect_eq "$(jq -c '[.[0], .[7]]' <<<"$raw")" '[7,8]' "rawfiducials: ids"
expect_eq "$(got targetpose_cameraspace '.value | map(. * 1000 | round)')" '[0,0,2000,0,0,0]' \
  "targetpose_cameraspace: tag 2 m straight ahead, square on"
expect_eq "$(got camerapose_targetspace '.value | map(. * 1000 | round)')" '[0,0,-2000,0,0,0]' \
  "camerapose_targetspace"
expect_eq "$(got json '.value | fromjson | [.v, .botpose_tagcount, (.Fiducial | length), .Fiducial[0].fID]')" \
  '[1,2,2,7]' "json: Limelight results"
done_testing
