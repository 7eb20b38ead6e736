# ntserver against a hostile peer: malformed JSON and MessagePack, wrong types, oversize WebSocket
# messages, non-HTTP bytes, plain HTTP, huge headers, wrong subprotocols and half-open connections
# are rejected or ignored with a log line; the server never crashes and keeps serving real clients.
source "$(dirname "$0")/lib/nt.bash"
nt_npm_setup
MAX=65536
start_ntserver --max-message $MAX

(cd "$NT_DIR" && exec node garbage.js "$NT_PORT" "$MAX") >"$TMP/got.jsonl" 2>"$TMP/node.log" ||
  fail "the hostile peer failed: $(grep -v '^    at ' "$TMP/node.log" | tail -n 20)"
got() { jq -c "select(.check == \"$1\") | $2" "$TMP/got.jsonl"; }
expect_eq "$(got survived_malformed .open)" true "malformed messages are ignored; the connection stays up"
expect_eq "$(got oversize .code)" 1009 "an oversize binary message closes that connection with 1009"
expect_eq "$(got oversize_text .code)" 1009 "an oversize text message closes that connection with 1009"
expect_match "$(got tcp_garbage .response)" "^\"HTTP/1.1 400" "bytes that are not HTTP get 400"
expect_match "$(got plain_http .response)" "^\"HTTP/1.1 400" "plain HTTP gets 400"
expect_match "$(got plain_http .body)" "NetworkTables 4 server" "... saying what this server is"
expect_match "$(got huge_header .response)" "^\"HTTP/1.1 400" "a 100 kB header gets 400"
expect_match "$(got wrong_path .response)" "^\"HTTP/1.1 404" "a WebSocket to another path gets 404"
expect_eq "$(got wrong_subprotocol .status)" 400 "a WebSocket without an NT subprotocol is refused"
expect_eq "$(got still_serving .open)" true "the abused connection still answers RTT"
kill -0 "$NT_PID" || fail "ntserver died: $(tail -n 5 "$NT_LOG")"
ok "ntserver is still running"
grep -q "ignoring a bad message" "$NT_LOG" || fail "no log line for bad messages: $(cat "$NT_LOG")"
ok "bad messages are logged"
grep -q "larger than $MAX bytes" "$NT_LOG" || fail "no log line for the oversize message: $(cat "$NT_LOG")"
ok "the oversize message is logged"
lines=$(wc -l <"$NT_LOG")
[ "$lines" -lt 200 ] || fail "ntserver logged $lines lines: bad messages must not flood the log"
ok "the log stays short ($lines lines)"

# A real client (ntcore-ts-client) still gets values from a real publisher.
echo '{"timeout_ms": 15000, "ts": ["/rvkit/cam0/tid"]}' >"$TMP/spec.json"
(cd "$NT_DIR" && exec node receive.js "$NT_PORT" "$TMP/spec.json") >"$TMP/recv.jsonl" 2>"$TMP/recv.log" &
NODE=$!
PIDS+=("$NODE")
records 300 0.05 | ntpub --server "127.0.0.1:$NT_PORT" 2>/dev/null &
PIDS+=($!)
wait "$NODE" || fail "ntcore-ts-client got nothing after the abuse: $(tail -n 5 "$TMP/recv.log")"
expect_eq "$(jq -c .value "$TMP/recv.jsonl")" 7 "ntcore-ts-client still receives values"
kill -0 "$NT_PID" || fail "ntserver died"
ok "ntserver is still running at the end"
done_testing
