# Shared-memory streams between processes (shm://NAME): a recorded stream arrives byte for byte, a
# live writer is not held up by a stuck reader, a killed writer is waited for and its successor read,
# a killed reader gives its slots back, overlay draws on frames it read from shared memory, and
# nothing is left behind.
source "$(dirname "$0")/lib/common.bash"

n="rvkit-test-$$"  # stream names of this test

# --- a recording, replayed through shared memory, arrives unchanged (lossless: nothing dropped)
cap --test-pattern --size 640x480 --fps 0 --count 40 > "$TMP/rec.rvk"
probe --in "shm://$n-rec" --pass > "$TMP/copy.rvk" &
reader=$!; PIDS+=($reader)
timeout 30 cap --file "$TMP/rec.rvk" --out "shm://$n-rec?slots=2"
wait_gone $reader 10
cmp "$TMP/rec.rvk" "$TMP/copy.rvk" || fail "the replayed stream differs from the recording"
ok "a recording replayed through shm:// (2 slots) arrives byte for byte"

# --- live: a reader that stops reading does not hold up the writer or the other reader
mkfifo "$TMP/stuck"
exec 3<>"$TMP/stuck"
probe --in "shm://$n-live" --pass > "$TMP/stuck" 2>/dev/null &
stuck=$!; PIDS+=($stuck)
probe --in "shm://$n-live" --summary -q > "$TMP/live.json" &
fast=$!; PIDS+=($fast)
wait_sigint_handlers $stuck $fast
start=$(date +%s%N)
timeout 30 cap --test-pattern --size 1280x720 --fps 100 --count 300 --name live --out "shm://$n-live"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt 25000 ] || fail "the live writer took $elapsed_ms ms for 3 s of frames"
ok "the live writer finished 300 frames in $elapsed_ms ms beside a reader that stopped reading"
wait_gone $fast 10
got=$(jq -r .messages "$TMP/live.json")
[ "$got" -ge 100 ] || fail "the reading reader got only $got of 300 frames"
# cap's own seq counts the frames it captured: under load it drops some itself, so the last is 299 or more.
last=$(jq -r .last_seq "$TMP/live.json")
[ "$last" -ge 299 ] || fail "the reading reader's last frame is $last, not the last written"
expect_eq "$(jq -r '"\(.cam) \(.w)x\(.h)"' "$TMP/live.json")" "live 1280x720" \
  "the reading reader got the newest frames to the end ($got of 300, the last seq $last)"
kill -0 $stuck 2>/dev/null || fail "the stuck reader ended"
kill $stuck; wait_gone $stuck 5
exec 3<&-

# --- a writer killed with SIGKILL: the reader says so, waits, and reads its successor to the end
probe --in "shm://$n-restart" --pass > "$TMP/restart.rvk" 2> "$TMP/restart.err" &
reader=$!; PIDS+=($reader)
cap --test-pattern --size 320x240 --fps 50 --name first --out "shm://$n-restart" &
w1=$!; PIDS+=($w1)
eventually 10 eval '[ "$(grep -c rvkit-shm/'"$n"'-restart /proc/net/unix)" -ge 2 ]' || fail "the reader never connected"
eventually 10 eval '[ "$(messages "$TMP/restart.rvk" | grep -c "^frame first")" -ge 5 ]' || fail "no frames from the first writer"
kill -9 $w1; wait $w1 2>/dev/null || true
wait_for_line "$TMP/restart.err" "the writer went away without an end of stream" 10
ok "the reader said its writer went away: $(grep -m1 'went away' "$TMP/restart.err")"
kill -0 $reader 2>/dev/null || fail "the reader ended when its writer was killed"
timeout 30 cap --test-pattern --size 320x240 --fps 50 --count 20 --name second --out "shm://$n-restart"
wait_gone $reader 10
expect_match "$(messages "$TMP/restart.rvk" | tail -n 1)" "^frame second 19 " "the reader read the restarted writer to its end"

# --- a reader killed with SIGKILL while it holds slots: the lossless writer goes on with the next
mkfifo "$TMP/held"
exec 4<>"$TMP/held"
probe --in "shm://$n-held" --pass > "$TMP/held" 2>/dev/null &  # the FIFO fills: it stops, holding its slot
holder=$!; PIDS+=($holder)
cap --file "$TMP/rec.rvk" --out "shm://$n-held?slots=2" 2> "$TMP/held-writer.err" &
writer=$!; PIDS+=($writer)
eventually 10 eval '[ "$(grep -c rvkit-shm/'"$n"'-held /proc/net/unix)" -ge 2 ]' || fail "the holder never connected"
sleep 0.5
kill -0 $writer 2>/dev/null || fail "the writer finished although its only reader is stuck"
kill -9 $holder; wait $holder 2>/dev/null || true
exec 4<&-
probe --in "shm://$n-held" --summary -q > "$TMP/held.json"
wait_gone $writer 10
wait $writer || fail "the writer failed: $(cat "$TMP/held-writer.err")"
expect_eq "$(jq -r .last_seq "$TMP/held.json")" "39" "after a reader was killed holding slots, the next got the stream to its end"
wait_for_line "$TMP/held-writer.err" "every reader left after [0-9]+ messages; waiting for one" 1

# --- overlay draws on bgr8 frames it read from shared memory (its own copy, not the shared slot)
cap --test-pattern --size 320x240 --fmt bgr8 --fps 0 --count 10 > "$TMP/bgr.rvk"
overlay --no-stdin --in "shm://$n-bgr" --crosshair 0,0 > "$TMP/drawn.rvk" 2> "$TMP/overlay.err" &
ov=$!; PIDS+=($ov)
probe --in "shm://$n-bgr" --pass > "$TMP/undrawn.rvk" &
plain=$!; PIDS+=($plain)
timeout 30 cap --file "$TMP/bgr.rvk" --out "shm://$n-bgr" --subscribers 2
wait_gone $ov 10; wait_gone $plain 10
wait $ov || fail "overlay failed on frames from shared memory: $(cat "$TMP/overlay.err")"
expect_eq "$(messages "$TMP/drawn.rvk" | grep -c '^frame')" "10" "overlay drew all 10 frames from shm://"
cmp "$TMP/bgr.rvk" "$TMP/undrawn.rvk" || fail "a second reader saw overlay's drawing in the shared frames"
ok "the other reader of the same slots got the frames undrawn"

# --- a reader with no writer ends quietly on SIGINT; bad names are one-line errors
probe --in "shm://$n-nobody" --summary -q 2> "$TMP/nobody.err" &
nobody=$!; PIDS+=($nobody)
wait_sigint_handlers $nobody
kill -INT $nobody; wait_gone $nobody 5
status=0; wait $nobody || status=$?
expect_eq "$status" "0" "a reader waiting for a writer ends quietly on SIGINT"
expect_fails 1 "shm://a b: the name after shm:// is 1 to 64 letters" "a bad stream name" -- cap --test-pattern --count 1 --out 'shm://a b'

# --- nothing left behind: no socket of these streams, and no file in /dev/shm
eventually 5 eval '[ "$(grep -c rvkit-shm/'"$n"' /proc/net/unix)" = 0 ]' ||
  fail "sockets left: $(grep rvkit-shm/"$n" /proc/net/unix)"
ok "no socket of this test's streams is left"
expect_eq "$(ls /dev/shm | grep -c rvkit || true)" "0" "nothing of rvkit's in /dev/shm"
done_testing
