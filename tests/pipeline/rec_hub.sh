#!/usr/bin/env bash
# rec through the hub (docs/rec.md): a test pattern published to a private hub (lossless, so the
# subscriber misses nothing), detect's records and an nt record through the hub, into one file with
# two hub inputs; every frame in order, every record present; SIGINT ends rec with the file whole.
source "$(dirname "$0")/lib/hub_serve.bash"
start_hub "ipc://$TMP/hub"

# Three inputs: a hub input ends at the eos of the cameras its filters name, and cap's eos/test/ would
# end one that named detections/test/ before detect's last records (docs/protocol.md); detections/ and
# nt/ name no camera and never end, so rec ends by SIGINT.
rec --in 'hub?topic=frame/test/' --in 'hub?topic=detections/' --in 'hub?topic=nt/' --out "$TMP/h.rvs" -v 2>"$TMP/rec.err" &
recpid=$!; PIDS+=($recpid)
wait_hub 10 "$(subscriptions frame/test/) == 1 and $(subscriptions detections/) == 1 and $(subscriptions nt/) == 1" \
  "rec is subscribed to frames, detections and nt"
# detect subscribes to the frames too, and publishes its detections (lossless: a recorded source).
detect --in 'hub?topic=frame/test/' --out hub --lossless 2>"$TMP/detect.err" &
det=$!; PIDS+=($det)
wait_hub 10 "$(subscriptions frame/test/) == 2" "detect is subscribed"
echo '{"type":"nt","topic":"/FMSInfo/MatchNumber","value":3}' >"$TMP/nt.jsonl"
# Lossless, as a replayed recording's nt records are (a state record through the lossless path).
probe -q --pass --lossless --in "$TMP/nt.jsonl" --out hub 2>"$TMP/nt.err" || fail "publishing an nt record: $(cat "$TMP/nt.err")"
kill -0 "$HUB_PID" 2>/dev/null || fail "hub serve died on a lossless nt record"
ok "hub serve takes a lossless nt record"
timeout 60 cap --test-pattern --size 320x240 --fps 0 --count 60 --out hub 2>"$TMP/cap.err" || fail "cap --out hub: $(cat "$TMP/cap.err")"
wait_gone $det 30
eventually 20 eval '[ "$(probe --in "$TMP/h.rvs" 2>/dev/null | jq -s "[.[] | select(.type == \"detections\")] | length")" = 60 ]' ||
  fail "the recording did not get 60 detections: $(probe --in "$TMP/h.rvs" --summary -q 2>&1 | tail -n 3)"
kill -INT $recpid
wait_gone $recpid 10
wait $recpid || fail "rec did not end cleanly on SIGINT: $(cat "$TMP/rec.err")"
ok "rec ends on SIGINT, status 0"
probe --in "$TMP/h.rvs" --summary -q >"$TMP/h.sum" || fail "the recording does not read cleanly"
expect_eq "$(jq -c 'select(.cam == "test") | [.messages, .first_seq, .last_seq, .dropped]' "$TMP/h.sum")" "[60,0,59,0]" \
  "every frame through the hub recorded, in order"
expect_eq "$(probe --in "$TMP/h.rvs" | jq -s '[.[] | select(.type == "detections") | .seq] == [range(60)]')" "true" \
  "every detections record, in order"
expect_eq "$(probe --in "$TMP/h.rvs" | jq -c 'select(.type == "nt") | [.topic, .value]')" '["/FMSInfo/MatchNumber",3]' \
  "the nt record"
expect_eq "$(probe --in "$TMP/h.rvs" | jq -s '[.[] | .t_rec | type == "number"] | all')" "true" "each with its t_rec"
done_testing
