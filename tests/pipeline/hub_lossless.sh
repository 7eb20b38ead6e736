#!/usr/bin/env bash
# A recorded stream replayed into the real hub loses nothing (docs/protocol.md "Lossless streams"):
# `cap --file REC --out hub` (cap's lossless DEALER, the hub's credit) into two subscribers, the
# second one joining while the replay runs slowly; then a replay started before any subscriber,
# which the hub holds until one subscribes; every frame in order, then the end of the stream.
source "$(dirname "$0")/lib/hub_serve.bash"
start_hub "ipc://$TMP/hub"

cap --test-pattern --size 640x480 --fmt bgr8 --fps 0 --count 300 >"$TMP/rec.rvs" 2>"$TMP/rec.err" ||
  fail "recording: $(cat "$TMP/rec.err")"
summary_of() { jq -c 'select(.type == "summary") | [.messages, .first_seq, .last_seq, .dropped]' "$1"; }

# Two subscribers; the first reads slowly for a while (a pipe into a slow reader), so the replay goes
# at its pace and the second one, subscribed from the start too, must not lose anything either.
probe --in 'hub?topic=frame/test/' --summary >"$TMP/a.json" 2>"$TMP/a.err" &
a=$!; PIDS+=($a)
probe --in 'hub?topic=frame/test/' --pass -q 2>"$TMP/b.err" | (sleep 2; probe --summary) >"$TMP/b.json" &
b=$!; PIDS+=($b)
wait_hub 10 "$(subscriptions frame/test/) == 2" "both subscribers are subscribed"
timeout 60 cap --file "$TMP/rec.rvs" --out hub 2>"$TMP/cap.err" || fail "cap --file --out hub: $(cat "$TMP/cap.err")"
ok "the replay ended by itself"
wait_gone $a 20
wait_gone $b 20
expect_eq "$(summary_of "$TMP/a.json")" "[300,0,299,0]" "the first subscriber got all 300 frames in order, then the end"
expect_eq "$(summary_of "$TMP/b.json")" "[300,0,299,0]" "the slow subscriber got all 300 frames in order, then the end"

# A replay that starts before anybody subscribes: the hub holds its first frame until a subscriber
# comes, so the late one still gets everything.
timeout 60 cap --file "$TMP/rec.rvs" --count 50 --out hub 2>"$TMP/cap2.err" &
c=$!; PIDS+=($c)
wait_hub 10 '.topics | map(select(.topic == "frame/test/")) | length == 1' "the hub knows the replay's topic"
sleep 1
kill -0 $c 2>/dev/null || fail "the replay did not wait for a subscriber: $(cat "$TMP/cap2.err")"
ok "the replay waits for a subscriber"
probe --in 'hub?topic=frame/test/' --summary >"$TMP/late.json" 2>"$TMP/late.err" &
late=$!; PIDS+=($late)
wait_gone $late 30
wait $c || fail "the replay failed: $(cat "$TMP/cap2.err")"
expect_eq "$(summary_of "$TMP/late.json")" "[50,0,49,0]" "a subscriber that came late got every frame from the first"

# A replay killed mid-stream (no eos, no BYE): after 3 s the hub ends its camera with an error, and
# the subscriber says so in one line naming its hub input as given (not the endpoints behind it).
probe --in 'hub?topic=frame/test/' --delay 100 >"$TMP/cut.out" 2>"$TMP/cut.err" &
cut=$!; PIDS+=($cut)
wait_hub 10 "$(subscriptions frame/test/) == 1" "the subscriber of the replay to be killed is subscribed"
cap --file "$TMP/rec.rvs" --out hub 2>/dev/null &
c=$!; PIDS+=($c)
wait_for_line "$TMP/cut.out" '"type":"frame"' 20
kill -9 $c
wait_gone $cut 20
rc=0; wait $cut || rc=$?
expect_eq "$rc" 1 "the subscriber of a vanished replay ends with status 1"
expect_eq "$(cat "$TMP/cut.err")" \
  "probe: hub?topic=frame/test/ (hub at ipc://$TMP/hub): the stream of camera 'test' ended with an error: publisher vanished" \
  "its one line names the hub input and the hub"
done_testing
