# Our NT4 client (ntsub, ntpub) against a misbehaving server (tests/nt/fake_server.js, on the ws
# package): bad messages are logged and survived; time synchronisation maps the server's clock
# (10^12 µs behind ours) both ways; 4.1 connections get WebSocket pings, 4.0 connections none.
source "$(dirname "$0")/lib/nt.bash"
nt_npm_setup

# --- 4.1: garbage from the server; one good value; pings.
PORT=$(free_port)
(cd "$NT_DIR" && exec node fake_server.js "$PORT" v41 7) >"$TMP/fake41.jsonl" 2>"$TMP/fake41.log" &
FAKE=$!
PIDS+=("$FAKE")
wait_for_line "$TMP/fake41.log" "node: listening" 20
ntsub --server "127.0.0.1:$PORT" --count 1 --timeout 20 /fake/ >"$TMP/sub.jsonl" 2>"$TMP/sub.log" ||
  fail "ntsub failed: $(cat "$TMP/sub.log")"
expect_eq "$(jq -c '[.topic, .value]' "$TMP/sub.jsonl")" '["/fake/x",42.5]' "the good value arrives after the garbage"
grep -q "ignoring a bad message" "$TMP/sub.log" || fail "bad messages not logged: $(cat "$TMP/sub.log")"
ok "bad messages from the server are logged"
dt=$(jq '(.t - .t_recv) | fabs' "$TMP/sub.jsonl")
awk -v d="$dt" 'BEGIN { exit !(d < 1000000) }' || fail "server time not converted to ours: t - t_recv = $dt µs"
ok "the server's timestamp is converted to our clock (off by $dt µs)"
# ntpub stays connected and idle: the client pings on 4.1.
sleep 3 | ntpub --server "127.0.0.1:$PORT" 2>"$TMP/pub41.log" || fail "ntpub failed: $(cat "$TMP/pub41.log")"
wait "$FAKE" || true
grep -q "(NT 4.1)" "$TMP/pub41.log" || fail "not NT 4.1: $(cat "$TMP/pub41.log")"
ok "NT 4.1 was chosen"
pings=$(jq -r 'select(.event == "pings") | .count' "$TMP/fake41.jsonl")
[ "$pings" -ge 1 ] || fail "no WebSocket pings on a 4.1 connection"
ok "WebSocket pings on 4.1 ($pings)"

# --- 4.0: no pings; values stamped in the server's clock from t_capture.
records 40 0.01 >"$TMP/records.jsonl"
PORT=$(free_port)
(cd "$NT_DIR" && exec node fake_server.js "$PORT" v40 6) >"$TMP/fake40.jsonl" 2>"$TMP/fake40.log" &
FAKE=$!
PIDS+=("$FAKE")
wait_for_line "$TMP/fake40.log" "node: listening" 20
{ sleep 1; cat "$TMP/records.jsonl"; sleep 2.5; } | ntpub --server "127.0.0.1:$PORT" 2>"$TMP/pub40.log" ||
  fail "ntpub failed: $(cat "$TMP/pub40.log")"
wait "$FAKE" || true
grep -q "(NT 4.0)" "$TMP/pub40.log" || fail "not NT 4.0: $(cat "$TMP/pub40.log")"
ok "falls back to NT 4.0"
expect_eq "$(jq -r 'select(.event == "connected") | .protocol' "$TMP/fake40.jsonl")" "networktables.first.wpi.edu" \
  "the 4.0 subprotocol was negotiated"
expect_eq "$(jq -r 'select(.event == "pings") | .count' "$TMP/fake40.jsonl")" 0 "no WebSocket pings on 4.0"
# The last record's t_capture, in the server's clock, is the stamp of its values.
tcap=$(tail -n 1 "$TMP/records.jsonl" | jq .t_capture)
ts=$(jq -r 'select(.event == "value" and .topic == "/rvkit/cam0/seq") | .ts' "$TMP/fake40.jsonl" | tail -n 1)
[ -n "$ts" ] || fail "no values reached the 4.0 server"
err=$(awk -v a="$ts" -v b="$tcap" 'BEGIN { d = a + 1e12 - b; if (d < 0) d = -d; printf "%d", d }')
[ "$err" -lt 100000 ] || fail "value stamp $ts is not t_capture $tcap in server time (off by $err µs)"
ok "values are stamped with t_capture in the server's clock (off by $err µs)"
done_testing
