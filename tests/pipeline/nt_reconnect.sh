# ntpub keeps the pipeline flowing while the server is gone and resumes when it comes back:
# records are read (never blocking the writer) during the outage, the latest values reach a
# subscriber of the restarted server, and the reconnection time is reported.
source "$(dirname "$0")/common.bash"
source "$RVKIT_SOURCE/tests/nt/nt.bash"
start_ntserver
PORT=$NT_PORT

# Records: slowly, then a burst of 5000 during the outage, then slowly again (bounded: ~60 s).
generator() {
  local i
  i=0
  while [ "$i" -lt 400 ] && [ ! -e "$TMP/outage" ]; do
    detections_record "$i" || return 0
    sleep 0.05
    i=$((i + 1))
  done
  burst 5000 || return 0
  touch "$TMP/burst_done"
  for ((i = 0; i < 800; i++)); do detections_record "$((100000 + i))" || return 0; sleep 0.05; done
}
generator | ntpub --server "127.0.0.1:$PORT" 2>"$TMP/ntpub.log" &
PUB=$!
PIDS+=("$PUB")
wait_for_line "$TMP/ntpub.log" "connected to 127.0.0.1:$PORT" 20
ntsub --server "127.0.0.1:$PORT" --count 1 --timeout 20 /rvkit/cam0/heartbeat >"$TMP/before.jsonl" 2>/dev/null
before=$(jq '.value' "$TMP/before.jsonl")
[ -n "$before" ] && [ "$before" -gt 0 ] || fail "no heartbeat before the restart"
ok "values flow before the restart (heartbeat $before)"

kill "$NT_PID"
wait_gone "$NT_PID" 10
wait_for_line "$TMP/ntpub.log" "lost connection to 127.0.0.1:$PORT" 10
ok "ntpub says it lost the connection"
touch "$TMP/outage"
for ((i = 0; i < 600; i++)); do
  [ -e "$TMP/burst_done" ] && break
  sleep 0.05
done
[ -e "$TMP/burst_done" ] || fail "the writer blocked: ntpub stopped reading while the server was down"
ok "5000 records were taken while the server was down"
kill -0 "$PUB" || fail "ntpub exited while the server was down"

t0=$(date +%s%N)
NT_WANT_PORT=$PORT start_ntserver
for ((i = 0; i < 200; i++)); do
  [ "$(grep -c "connected to 127.0.0.1:$PORT" "$TMP/ntpub.log")" -ge 2 ] && break
  sleep 0.01
done
t1=$(date +%s%N)
[ "$(grep -c "connected to 127.0.0.1:$PORT" "$TMP/ntpub.log")" -ge 2 ] || fail "ntpub did not reconnect: $(cat "$TMP/ntpub.log")"
echo "# ntpub reconnected $(((t1 - t0) / 1000000)) ms after ntserver restarted"
ok "ntpub reconnected"
ntsub --server "127.0.0.1:$PORT" --count 1 --timeout 20 /rvkit/cam0/heartbeat >"$TMP/after.jsonl" 2>/dev/null
after=$(jq '.value' "$TMP/after.jsonl")
[ -n "$after" ] && [ "$after" -gt "$((before + 5000))" ] || fail "heartbeat after the restart: '$after' (before: $before)"
ok "the latest values reach the restarted server (heartbeat $after)"
kill -0 "$PUB" || fail "ntpub exited"
done_testing
