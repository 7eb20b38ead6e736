# ntcore-ts-client publishes -> ntserver -> ntsub: every value arrives as a record with its type;
# ntsub --latest writes snapshots.
source "$(dirname "$0")/lib/nt.bash"
nt_npm_setup
start_ntserver

ROUNDS=3
ntsub --server "127.0.0.1:$NT_PORT" --count $((9 * ROUNDS)) --timeout 30 /dash/ >"$TMP/sub.jsonl" 2>"$TMP/sub.log" &
SUB=$!
PIDS+=("$SUB")
ntsub --server "127.0.0.1:$NT_PORT" --latest --period 0.2 --timeout 30 /dash/ >"$TMP/latest.jsonl" 2>"$TMP/latest.log" &
LATEST=$!
PIDS+=("$LATEST")
wait_for_line "$TMP/sub.log" "connected to" 20
wait_for_line "$TMP/latest.log" "connected to" 20
(cd "$NT_DIR" && exec node publish.js "$NT_PORT" "$ROUNDS") 2>"$TMP/node.log" || fail "publisher failed: $(grep -v '^    at ' "$TMP/node.log" | tail -n 20)"
wait_gone "$SUB" 30
expect_eq "$(wc -l <"$TMP/sub.jsonl")" $((9 * ROUNDS)) "ntsub wrote one record per value"

last() { jq -c "select(.topic == \"$1\") | $2" "$TMP/sub.jsonl" | tail -n 1; }
check() {
  expect_eq "$(last "$1" .ntype)" "\"$2\"" "$1: type $2"
  expect_eq "$(last "$1" .value)" "$3" "$1: last value"
  expect_eq "$(jq -c "select(.topic == \"$1\")" "$TMP/sub.jsonl" | wc -l)" "$ROUNDS" "$1: every change arrived"
}
check /dash/bool boolean true
check /dash/int int 43
check /dash/double double 3.5
check /dash/string string '"round 3"'
check /dash/bools 'boolean[]' '[true,false]'
check /dash/ints 'int[]' '[1,2,3]'
check /dash/doubles 'double[]' '[0.25,3.5]'
check /dash/strings 'string[]' '["x","y3"]'
check /dash/raw raw '"AQID"'
expect_eq "$(jq -c 'select(.topic == "/dash/int") | .value' "$TMP/sub.jsonl" | paste -sd,)" "41,42,43" "int values in order"
expect_eq "$(jq -r '[.type, (.t|type), (.t_server|type), (.t_recv|type)] | join(",")' "$TMP/sub.jsonl" | sort -u)" \
  "nt,number,number,number" "records have type nt and timestamps"

# --latest: snapshots with the latest value of every topic.
kill "$LATEST"
wait_gone "$LATEST" 5
snap=$(jq -c 'select(.type == "nt_snapshot" and (.values | length) == 9)' "$TMP/latest.jsonl" | tail -n 1)
[ -n "$snap" ] || fail "no snapshot with all 9 topics: $(tail -n 2 "$TMP/latest.jsonl")"
expect_eq "$(jq -c '.values["/dash/int"]' <<<"$snap")" 43 "snapshot has the latest int"
expect_eq "$(jq -c '.values["/dash/strings"]' <<<"$snap")" '["x","y3"]' "snapshot has the latest string[]"
expect_eq "$(jq -c '.times | length' <<<"$snap")" 9 "snapshot has the times"
done_testing
