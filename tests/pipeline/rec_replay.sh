#!/usr/bin/env bash
# Replaying a recording (docs/rec.md): two cameras and records recorded from three inputs replay with
# `cap --file` interleaved exactly as recorded; --only-cam, --from/--to, --now, --loop; --realtime
# reproduces the recorded arrival times (the replay recorded again and compared) and --speed scales
# them; options that need a recorded stream say so.
source "$(dirname "$0")/lib/common.bash"

mkfifo "$TMP/front" "$TMP/back" "$TMP/notes"
cap --test-pattern --name front --size 160x120 --fps 30 --count 60 2>/dev/null >"$TMP/front" &
cap --test-pattern --name back --size 160x120 --fps 15 --count 30 --seed 2 2>/dev/null >"$TMP/back" &
(for i in $(seq 10); do echo "{\"type\":\"note\",\"i\":$i}"; sleep 0.2; done) >"$TMP/notes" &
rec --in "$TMP/front" --in "$TMP/back" --in "$TMP/notes" --out "$TMP/rec.rvs" 2>"$TMP/rec.err" || fail "rec: $(cat "$TMP/rec.err")"
probe --in "$TMP/rec.rvs" >"$TMP/rec.jsonl"
expect_eq "$(jq -s 'map(select(.type == "frame")) | group_by(.cam) | map([.[0].cam, length])' -c "$TMP/rec.jsonl")" \
  '[["back",30],["front",60]]' "both cameras recorded"
first=$(head -n 1 "$TMP/rec.jsonl" | jq .t_rec)
span=$(tail -n 1 "$TMP/rec.jsonl" | jq ".t_rec - $first")

cap --file "$TMP/rec.rvs" 2>"$TMP/cap.err" | probe >"$TMP/all.jsonl" || fail "cap --file: $(cat "$TMP/cap.err")"
expect_eq "$(md5sum <"$TMP/all.jsonl")" "$(md5sum <"$TMP/rec.jsonl")" "every message of both cameras and the records, interleaved as recorded"

cap --file "$TMP/rec.rvs" --only-cam front | probe >"$TMP/front.jsonl"
expect_eq "$(jq -s -c '[(map(select(.type == "frame" and .cam == "front")) | length), (map(select(.cam == "back")) | length), (map(select(.type == "note")) | length)]' "$TMP/front.jsonl")" \
  "[60,0,10]" "--only-cam front: its 60 frames and the records of no camera"

cap --file "$TMP/rec.rvs" --from 0.5 --to 1.5 | probe >"$TMP/part.jsonl"
expect_eq "$(jq -s "map(.t_rec - $first) | (min >= 500000 and max <= 1500000)" "$TMP/part.jsonl")" true "--from 0.5 --to 1.5: only that part"
expect_eq "$(jq -s "length == ([\$all[] | select(.t_rec - $first >= 500000 and .t_rec - $first <= 1500000)] | length)" --slurpfile all "$TMP/rec.jsonl" "$TMP/part.jsonl")" true \
  "and all of it"

start=$(date +%s%6N)
cap --file "$TMP/rec.rvs" --now | probe >"$TMP/now.jsonl"
expect_eq "$(jq -s "map(select(.type == \"frame\") | .t_capture >= $start - 1000000) | all" "$TMP/now.jsonl")" true "--now: t_capture re-stamped to the present"
expect_eq "$(jq -s 'map(select(.type == "frame")) | group_by(.cam) | map(map(.t_capture) | . == sort) | all' "$TMP/now.jsonl")" true "in order"
# A detections record's t_start and t_done move with its t_capture: detect's timings survive --now.
echo '{"type":"detections","cam":"front","seq":0,"t_capture":1000,"w":2,"h":2,"tags":[],"field_pose":null,"t_start":1500,"t_done":4000}' >"$TMP/det.jsonl"
rec --in "$TMP/det.jsonl" --out "$TMP/det.rvs" 2>"$TMP/det.err" || fail "rec of a detections record: $(cat "$TMP/det.err")"
expect_eq "$(cap --file "$TMP/det.rvs" --now | probe | jq -c '[.t_capture > 1000, .t_start - .t_capture, .t_done - .t_capture]')" \
  '[true,500,3000]' "--now: a detections record's t_start and t_done keep their distance from t_capture"

expect_eq "$(cap --file "$TMP/rec.rvs" --loop --count 200 | probe -q --summary | jq -s 'map(select(.cam) | .messages) | add')" 200 "--loop --count 200"

# --realtime: record the replay again and compare arrival times, message by message.
cap --file "$TMP/rec.rvs" --realtime | rec --out "$TMP/again.rvs" 2>"$TMP/again.err" || fail "rec of the replay: $(cat "$TMP/again.err")"
probe --in "$TMP/again.rvs" | jq .t_rec >"$TMP/again.t"
jq .t_rec "$TMP/rec.jsonl" >"$TMP/rec.t"
# Each message's offset (replay's arrival minus the recording's), taken against the median offset,
# so that a late first message (a start-up delay on a loaded machine) does not shift every other one.
paste "$TMP/rec.t" "$TMP/again.t" | awk '{ print $2 - $1 }' | sort -n >"$TMP/offsets"
center=$(awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' "$TMP/offsets")
read -r median worst < <(awk -v c="$center" '{ d = $1 - c; if (d < 0) d = -d; print d }' "$TMP/offsets" |
  sort -n | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] / 1000, v[NR] / 1000 }')
echo "--realtime replay vs recording, arrival times: median $median ms, worst $worst ms off"
awk -v m="$median" 'BEGIN { exit !(m < 20) }' || fail "--realtime: median $median ms off the recorded arrival times"
ok "--realtime reproduces the recorded arrival times (median $median ms off)"
cap --file "$TMP/rec.rvs" --realtime --speed 2 | rec --out "$TMP/fast.rvs" 2>/dev/null
# Measured from the middle message to the last: the first messages can wait in the pipe while rec
# starts (on a loaded machine tens of ms), which would shorten the whole span by as much.
half_span() { jq -s '(length / 2 | floor) as $m | .[-1].t_rec - .[$m].t_rec' "$@"; }
slow=$(half_span "$TMP/rec.jsonl")
fast=$(probe --in "$TMP/fast.rvs" | half_span)
expect_eq "$(probe --in "$TMP/fast.rvs" | wc -l)" "$(wc -l <"$TMP/rec.jsonl")" "--speed 2: every message"
awk -v f="$fast" -v s="$slow" 'BEGIN { exit !(f >= s / 2 * 0.97 && f < s * 0.8) }' || fail "--speed 2: $fast us for $slow us of the recording"
ok "--speed 2 replays the second half of the recording ($slow us) in $fast us"

expect_fails 2 "--speed: paces a --realtime replay" "--speed without --realtime" -- cap --file "$TMP/rec.rvs" --speed 2
expect_fails 2 "--only-cam and --now replay recorded rvkit streams: give --file" "--only-cam on a test pattern" -- cap --test-pattern --only-cam x
expect_fails 2 "--to: must be after --from" "--to before --from" -- cap --file "$TMP/rec.rvs" --from 2 --to 1
done_testing
