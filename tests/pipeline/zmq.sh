# ZeroMQ publish/subscribe between processes; a stalled subscriber does not stall the publisher.
source "$(dirname "$0")/lib/common.bash"

port=$(free_port)
ffmpeg -loglevel error -f lavfi -i testsrc=size=200x100 -frames:v 1 "$TMP/img.png"

# Subscribers first (they connect and wait), then the publisher.
probe --in "tcp://127.0.0.1:$port" --summary -q > "$TMP/fast.json" &
fast=$!; PIDS+=($fast)
probe --in "tcp://127.0.0.1:$port?topic=frame/other/" --summary -q > "$TMP/filtered.json" &
filtered=$!; PIDS+=($filtered)
# A subscriber that stops reading: its stdout is a FIFO nobody drains.
mkfifo "$TMP/stuck"
exec 3<>"$TMP/stuck"
probe --in "tcp://127.0.0.1:$port" --pass > "$TMP/stuck" 2>/dev/null &
stuck=$!; PIDS+=($stuck)
wait_sigint_handlers $fast $filtered $stuck  # started: each subscribes, then waits for the publisher

start=$(date +%s%N)
timeout 30 cap --file "$TMP/img.png" --loop --realtime --fps 200 --count 400 --name pub --out "tcp://*:$port"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
# 400 frames at 200 fps take 2 s; a publisher stalled by the stuck subscriber would hit the timeout.
[ "$elapsed_ms" -lt 20000 ] || fail "publisher took $elapsed_ms ms"
ok "publisher finished its 400 frames (in $elapsed_ms ms) despite a stalled subscriber"

wait_gone $fast 10
s=$(cat "$TMP/fast.json")
expect_eq "$(jq -r '"\(.cam) \(.w)x\(.h) \(.last_seq)"' <<<"$s")" "pub 200x100 399" "fast subscriber got the stream to its end (eos)"
n=$(jq -r .messages <<<"$s")
[ "$n" -ge 300 ] || fail "fast subscriber received only $n of 400 frames"
ok "fast subscriber received $n of 400 frames"

wait_gone $filtered 10
expect_eq "$(cat "$TMP/filtered.json")" "" "topic filter for another camera receives no frames"

kill -0 $stuck 2>/dev/null || fail "stuck subscriber exited early"
kill $stuck; wait_gone $stuck 5
exec 3<&-
done_testing
