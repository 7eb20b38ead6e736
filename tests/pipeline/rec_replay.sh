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

expect_eq "$(cap --file "$TMP/rec.rvs" --loop --count 200 | probe -q --summary | jq -s 'map(select(.cam) | .messages) | add')" 200 "--loop --count 200"

# --realtime: record the replay again and compare arrival times, message by message.
cap --file "$TMP/rec.rvs" --realtime | rec --out "$TMP/again.rvs" 2>"$TMP/again.err" || fail "rec of the replay: $(cat "$TMP/again.err")"
probe --in "$TMP/again.rvs" | jq .t_rec >"$TMP/again.t"
jq .t_rec "$TMP/rec.jsonl" >"$TMP/rec.t"
read -r median worst < <(paste "$TMP/rec.t" "$TMP/again.t" | awk 'NR == 1 { a = $1; b = $2 } { d = ($2 - b) - ($1 - a); if (d < 0) d = -d; print d }' |
  sort -n | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] / 1000, v[NR] / 1000 }')
echo "--realtime replay vs recording, arrival times: median $median ms, worst $worst ms off"
awk -v m="$median" 'BEGIN { exit !(m < 20) }' || fail "--realtime: median $median ms off the recorded arrival times"
ok "--realtime reproduces the recorded arrival times (median $median ms off)"
cap --file "$TMP/rec.rvs" --realtime --speed 2 | rec --out "$TMP/fast.rvs" 2>/dev/null
fast=$(probe --in "$TMP/fast.rvs" | jq -s '.[-1].t_rec - .[0].t_rec')
awk -v f="$fast" -v s="$span" 'BEGIN { exit !(f >= s / 2 * 0.98 && f < s * 0.8) }' || fail "--speed 2: $fast us for a $span us recording"
ok "--speed 2 replays the $span us recording in $fast us"

expect_fails 2 "--speed: paces a --realtime replay" "--speed without --realtime" -- cap --file "$TMP/rec.rvs" --speed 2
expect_fails 2 "--only-cam and --now replay recorded rvkit streams: give --file" "--only-cam on a test pattern" -- cap --test-pattern --only-cam x
expect_fails 2 "--to: must be after --from" "--to before --from" -- cap --file "$TMP/rec.rvs" --from 2 --to 1
done_testing
