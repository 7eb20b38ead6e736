# ntpub -> ntserver -> ntcore-ts-client (a real NT4 client written by others): every value ntpub
# publishes arrives with the right type: boolean, int, double, float, string, json, arrays, raw,
# struct:Pose3d with its /.schema topics, and camera announcements under /CameraPublisher.
source "$(dirname "$0")/lib/nt.bash"
nt_npm_setup
start_ntserver

T=/rvkit/cam0
cat >"$TMP/spec.json" <<SPEC
{"timeout_ms": 20000,
 "ts": ["$T/hasTarget", "$T/tx", "$T/ty", "$T/ta", "$T/tid", "$T/tagIds", "$T/seq", "$T/latencyMs",
        "$T/heartbeat", "$T/hasPose", "$T/robotPoseArray", "$T/cameraPoseArray", "$T/poseTagIds", "$T/json",
        "/x/flags", "/x/names",
        "/CameraPublisher/cam0/streams", "/CameraPublisher/cam0/source", "/CameraPublisher/cam0/description",
        "/CameraPublisher/cam0/connected", "/CameraPublisher/cam0/mode"],
 "raw": ["$T/robotPose", "$T/cameraPose", "/.schema/struct:Pose3d", "/.schema/struct:Rotation3d",
         "/.schema/struct:Translation3d", "/.schema/struct:Quaternion", "/x/raw", "/x/f", "/x/fa"]}
SPEC
(cd "$NT_DIR" && exec node receive.js "$NT_PORT" "$TMP/spec.json") >"$TMP/got.jsonl" 2>"$TMP/node.log" &
NODE=$!
PIDS+=("$NODE")
wait_for_line "$TMP/node.log" "node: subscribed" 20

# Records keep coming (every 50 ms, at most 20 s) until the receiver has everything.
{
  printf '{"type":"camera","cam":"cam0","urls":["http://127.0.0.1:1181/?action=stream"],"description":"test camera","w":640,"h":480,"fps":30}\n'
  records 400 0.05
} | ntpub --server "127.0.0.1:$NT_PORT" \
    --map 'extra.flags=/x/flags:boolean[]' --map 'extra.f=/x/f:float' --map 'extra.fa=/x/fa:float[]' \
    --map 'extra.names=/x/names:string[]' --map 'extra.raw=/x/raw:raw' 2>"$TMP/ntpub.log" &
PUB=$!
PIDS+=("$PUB")
wait "$NODE" || fail "the ntcore-ts-client receiver failed: $(grep -v "^    at " "$TMP/node.log" | tail -n 20)"
kill "$PUB" 2>/dev/null || true

got() { jq -c "select(.topic == \"$1\") | $2" "$TMP/got.jsonl"; }
# type, JavaScript type, value
check() {
  expect_eq "$(got "$1" .type)" "\"$2\"" "$1 is announced as $2"
  expect_eq "$(got "$1" .js)" "\"$3\"" "$1 arrives as a JavaScript $3"
  [ -z "${4:-}" ] || expect_eq "$(got "$1" .value)" "$4" "$1 has the right value"
}
check $T/hasTarget boolean boolean true
check $T/tx double number 3.5
check $T/ty double number -1.25
check $T/ta double number 2.5
check $T/tid int number 7
check $T/tagIds 'int[]' array '[7,8]'
check $T/seq int number
check $T/latencyMs double number
check $T/heartbeat int number
check $T/hasPose boolean boolean true
check $T/robotPoseArray 'double[]' array '[4.8,3,0,0,0,0]'
check $T/cameraPoseArray 'double[]' array '[5,3,0.5,0,0,0]'
check $T/poseTagIds 'int[]' array '[7,8]'
check $T/json json string
expect_eq "$(got $T/json '.value | fromjson | .type')" '"detections"' "json carries the whole record"
check /x/flags 'boolean[]' array '[true,false]'
check /x/names 'string[]' array '["a","b"]'
check /CameraPublisher/cam0/streams 'string[]' array '["mjpg:http://127.0.0.1:1181/?action=stream"]'
check /CameraPublisher/cam0/source string string
check /CameraPublisher/cam0/description string string '"test camera"'
check /CameraPublisher/cam0/connected boolean boolean true
check /CameraPublisher/cam0/mode string string '"640x480 MJPEG 30 fps"'

# struct:Pose3d: 7 little-endian doubles x y z qw qx qy qz; schemas as WPILib's.
expect_eq "$(got $T/robotPose .type)" '"struct:Pose3d"' "robotPose is a struct:Pose3d"
expect_eq "$(got $T/robotPose .typeId)" 5 "struct:Pose3d travels as raw (type 5)"
expect_eq "$(got $T/robotPose .doubles)" '[4.8,3,0,1,0,0,0]' "robotPose bytes"
expect_eq "$(got $T/cameraPose .doubles)" '[5,3,0.5,1,0,0,0]' "cameraPose bytes"
expect_eq "$(got /.schema/struct:Pose3d .type)" '"structschema"' "schema topic type"
expect_eq "$(got /.schema/struct:Pose3d .text)" '"Translation3d translation;Rotation3d rotation"' "Pose3d schema"
expect_eq "$(got /.schema/struct:Rotation3d .text)" '"Quaternion q"' "Rotation3d schema"
expect_eq "$(got /.schema/struct:Translation3d .text)" '"double x;double y;double z"' "Translation3d schema"
expect_eq "$(got /.schema/struct:Quaternion .text)" '"double w;double x;double y;double z"' "Quaternion schema"
# float and float[]: ntcore-ts-client cannot decode them (it throws on type 3), so the plain client checks.
expect_eq "$(got /x/f '[.type, .typeId, .value]')" '["float",3,0.5]' "float topic"
expect_eq "$(got /x/fa '[.type, .typeId, .value]')" '["float[]",19,[1.5,2.5]]' "float[] topic"
expect_eq "$(got /x/raw .type)" '"raw"' "raw topic type"
expect_eq "$(got /x/raw .value)" '"AAEC/w=="' "raw bytes"

# Values are stamped in server time from t_capture: robotPose's stamp is a real server time.
ts=$(got $T/robotPose .timestamp)
[ "$ts" -gt 1 ] || fail "robotPose timestamp $ts"
ok "values carry server timestamps"
grep -q "connected to 127.0.0.1:$NT_PORT (NT 4.1)" "$TMP/ntpub.log" || fail "ntpub did not say it connected: $(cat "$TMP/ntpub.log")"
ok "ntpub connected with NT 4.1"
done_testing
