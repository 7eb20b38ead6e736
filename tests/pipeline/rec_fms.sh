#!/usr/bin/env bash
# rec's FMS names with a real NetworkTables server: ntcore-ts-client publishes /FMSInfo/EventName,
# MatchType and MatchNumber on a local ntserver, ntsub turns them into nt records, rec names its file
# by them (%event-%match) and starts a new file when the match number changes.
source "$(dirname "$0")/lib/nt.bash"
nt_npm_setup
start_ntserver

# The "FMS": publishes the match, then match 13 when a line arrives on its stdin; keeps publishing
# until killed (a topic goes away with its publisher).
mkfifo "$TMP/fms.in"
exec 7<>"$TMP/fms.in"
(cd "$NT_DIR" && exec node -e '
  const { NetworkTables, NetworkTablesTypeInfos: I } = require("ntcore-ts-client");
  const nt = NetworkTables.getInstanceByURI("127.0.0.1", Number(process.argv[1]));
  const ev = nt.createTopic("/FMSInfo/EventName", I.kString);
  const type = nt.createTopic("/FMSInfo/MatchType", I.kInteger);
  const num = nt.createTopic("/FMSInfo/MatchNumber", I.kInteger);
  (async () => {
    await Promise.all([ev.publish(), type.publish(), num.publish()]);
    ev.setValue("CAMON"); type.setValue(2); num.setValue(12);
    process.stderr.write("node: published\n");
    process.stdin.on("data", () => { num.setValue(13); process.stderr.write("node: match 13\n"); });
    setTimeout(() => process.exit(0), 60000);
  })().catch((e) => { process.stderr.write(String(e.stack || e) + "\n"); process.exit(1); });
' "$NT_PORT") <&7 2>"$TMP/node.log" &
PIDS+=($!)
wait_for_line "$TMP/node.log" "node: published" 20

mkfifo "$TMP/frames"
exec 8<>"$TMP/frames"  # held open: rec's frame input lasts until the test ends it
mkfifo "$TMP/nt"
ntsub --server "127.0.0.1:$NT_PORT" --prefix /FMSInfo/ >"$TMP/nt" 2>"$TMP/ntsub.log" &
PIDS+=($!)
rec --in "$TMP/nt" --in "$TMP/frames" --out "$TMP/m/%event-%match.rvs" -v 2>"$TMP/rec.err" &
recpid=$!; PIDS+=($recpid)
wait_for_line "$TMP/rec.err" "renamed .* to .*/CAMON-Q12.rvs" 20
ok "the first file is named by the FMS values once they arrived"
cap --test-pattern --size 64x48 --fps 0 --count 10 >&8
eventually 10 eval '[ "$(probe --in "$TMP/m/CAMON-Q12.rvs" -q --summary 2>/dev/null | jq -r "select(.cam) | .messages")" = 10 ]' ||
  fail "the first match's 10 frames did not arrive"
echo >&7
wait_for_line "$TMP/rec.err" "opened .*/CAMON-Q13.rvs" 20
ok "the next match number opens a new file"
cap --test-pattern --size 64x48 --fps 0 --count 7 >&8
eventually 10 eval '[ "$(probe --in "$TMP/m/CAMON-Q13.rvs" -q --summary 2>/dev/null | jq -r "select(.cam) | .messages")" = 7 ]' ||
  fail "the second match's 7 frames did not arrive"
kill -INT $recpid
wait_gone $recpid 10
expect_eq "$(cd "$TMP/m" && ls | tr '\n' ' ')" "CAMON-Q12.rvs CAMON-Q13.rvs " "one file per match"
expect_eq "$(probe --in "$TMP/m/CAMON-Q12.rvs" | jq -c 'select(.type == "nt") | [.topic, .value]' | sort | paste -sd' ')" \
  '["/FMSInfo/EventName","CAMON"] ["/FMSInfo/MatchNumber",12] ["/FMSInfo/MatchType",2]' "the FMS values are in the first file"
expect_eq "$(probe --in "$TMP/m/CAMON-Q13.rvs" | head -n 1 | jq -c '[.topic, .value]')" '["/FMSInfo/MatchNumber",13]' \
  "the new match number opens the second file"
done_testing
