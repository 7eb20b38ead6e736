# Recorded streams over ZeroMQ are lossless (docs/protocol.md "Lossless streams"): cap --file waits for
# its subscribers and blocks instead of dropping, so every subscriber gets every frame in order and the
# eos, over ipc:// and tcp://, however late it starts; a waiting publisher ends quietly on SIGINT; a live
# cap still drops frames for a slow subscriber.
source "$(dirname "$0")/lib/common.bash"

cap --test-pattern --size 1280x720 --count 300 --fps 0 > "$TMP/f.rvs"
expect_eq "$(probe --in "$TMP/f.rvs" --summary -q | jq -r '"\(.messages) \(.dropped)"')" "300 0" "the recorded file has 300 frames"

# summary_of FILE: "MESSAGES FIRST_SEQ LAST_SEQ DROPPED" of a probe --summary.
summary_of() { jq -r '"\(.messages) \(.first_seq) \(.last_seq) \(.dropped)"' "$1"; }

# A subscriber that starts after the publisher: the publisher waits for it (one line saying so).
for endpoint in "ipc://$TMP/late" "tcp://127.0.0.1:$(free_port)"; do
  pub_spec=$endpoint
  [[ $endpoint == tcp://* ]] && pub_spec="tcp://*:${endpoint##*:}"
  cap --file "$TMP/f.rvs" --out "$pub_spec" 2> "$TMP/pub.err" &
  pub=$!; PIDS+=($pub)
  wait_for_line "$TMP/pub.err" "waiting for 1 subscriber on " 20
  timeout 120 probe --in "$endpoint" --summary -q > "$TMP/late.json"
  expect_eq "$(summary_of "$TMP/late.json")" "300 0 299 0" "$endpoint: a late subscriber gets all 300 frames in order, then the eos"
  wait_gone $pub 20
  wait $pub || fail "the publisher on $endpoint failed"
  expect_eq "$(cat "$TMP/pub.err")" "cap: waiting for 1 subscriber on $pub_spec" "$endpoint: the publisher said once that it waited"
done

# Two subscribers, one of them slow and filtered: both get everything (the publisher waits for 2).
port=$(free_port)
probe --in "tcp://127.0.0.1:$port" --summary -q > "$TMP/a.json" &
a=$!; PIDS+=($a)
probe --in "tcp://127.0.0.1:$port?topic=frame/test/" --delay 5 --summary -q > "$TMP/b.json" &
b=$!; PIDS+=($b)
timeout 120 cap --file "$TMP/f.rvs" --out "tcp://*:$port" --subscribers 2 2> /dev/null || fail "the publisher to two subscribers failed"
wait_gone $a 30
wait_gone $b 30
expect_eq "$(summary_of "$TMP/a.json")" "300 0 299 0" "subscriber 1 of 2 gets every frame"
expect_eq "$(summary_of "$TMP/b.json")" "300 0 299 0" "subscriber 2 of 2, slow and filtered, gets every frame too"

# SIGINT of a publisher waiting for its subscribers: quiet, status 0.
cap --file "$TMP/f.rvs" --out "ipc://$TMP/nobody" 2> "$TMP/wait.err" &
pub=$!; PIDS+=($pub)
wait_for_line "$TMP/wait.err" "waiting for 1 subscriber" 20
wait_sigint_handlers $pub
kill -INT $pub
wait_gone $pub 5
rc=0; wait $pub || rc=$?
expect_eq "$rc" 0 "SIGINT of a waiting publisher: status 0"
expect_eq "$(cat "$TMP/wait.err")" "cap: waiting for 1 subscriber on ipc://$TMP/nobody" "SIGINT of a waiting publisher: nothing more said"

# SIGINT of a publisher blocked by a subscriber that stopped reading (its stdout a FIFO nobody drains).
mkfifo "$TMP/stuck"
exec 3<>"$TMP/stuck"
probe --in "ipc://$TMP/stuck.zmq" --pass -q > "$TMP/stuck" 2>"$TMP/stuck.err" &
stuck=$!; PIDS+=($stuck)
cap --file "$TMP/f.rvs" --out "ipc://$TMP/stuck.zmq" -v 2> "$TMP/blocked.err" &
pub=$!; PIDS+=($pub)
wait_sigint_handlers $pub
wait_for_line "$TMP/blocked.err" "fps" 20  # its -v line: it is sending, then blocks on the stuck subscriber
kill -INT $pub
start=$(date +%s%N)
wait_gone $pub 10
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
rc=0; wait $pub || rc=$?
expect_eq "$rc" 0 "SIGINT of a publisher blocked by a stuck subscriber: status 0"
[ "$elapsed_ms" -lt 5000 ] || fail "the blocked publisher took $elapsed_ms ms to end after SIGINT"
ok "the blocked publisher ended $elapsed_ms ms after SIGINT"
# Still there, blocked on its stdout (a subscriber that crashed would say why here).
kill -0 $stuck 2>/dev/null || fail "the stuck subscriber ended by itself: $(cat "$TMP/stuck.err")"
kill $stuck; wait_gone $stuck 5
exec 3<&-

# A live publisher still drops for a slow subscriber, and never waits for it.
port=$(free_port)
probe --in "tcp://127.0.0.1:$port" --delay 50 --summary -q > "$TMP/slow.json" 2>/dev/null &
slow=$!; PIDS+=($slow)
wait_sigint_handlers $slow
timeout 60 cap --test-pattern --fps 100 --count 200 --out "tcp://*:$port" || fail "the live publisher failed"
# A live eos waits only a second for room: this far behind, the subscriber may miss it (and then says
# its publisher went away). Stop it to read its summary.
kill -INT $slow 2>/dev/null || true
wait_gone $slow 30
dropped=$(jq -r .dropped "$TMP/slow.json")
[ "$dropped" -gt 0 ] || fail "a slow subscriber of a live publisher lost nothing: $(cat "$TMP/slow.json")"
ok "a slow subscriber of a live publisher loses frames ($dropped dropped), the publisher goes on"
done_testing
