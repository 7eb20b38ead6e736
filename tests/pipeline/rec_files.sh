#!/usr/bin/env bash
# rec's file names and rotation (docs/rec.md): %event/%match from /FMSInfo nt records (a new file when
# the match changes), placeholders without them, strftime; --split-mb and --split-s; --keep-gb
# deletes the oldest recordings of the folder, and nothing else.
source "$(dirname "$0")/lib/common.bash"

nt() { echo "{\"type\":\"nt\",\"topic\":\"/FMSInfo/$1\",\"value\":$2}"; }
frames() { cap --test-pattern --size 64x48 --fps 0 --count "$1" --seed "$2"; }
count_frames() { probe --in "$1" -q --summary | jq -r 'select(.cam) | .messages'; }

# 1. The FMS names: event and match from nt records, a new file when the match changes.
{
  nt EventName '"2026 Camden (NJ)"'; nt MatchType 2; nt MatchNumber 12
  frames 5 1
  nt MatchNumber 13
  frames 7 2
} | rec --out "$TMP/m/%event-%match-%Y.rvs" 2>"$TMP/fms.err" || fail "rec: $(cat "$TMP/fms.err")"
year=$(date +%Y)
expect_eq "$(cd "$TMP/m" && ls | tr '\n' ' ')" "2026_Camden__NJ_-Q12-$year.rvs 2026_Camden__NJ_-Q13-$year.rvs " \
  "one file per match, named by event, match type and number and the year"
expect_eq "$(count_frames "$TMP/m/2026_Camden__NJ_-Q12-$year.rvs")" 5 "the first match's frames in its file"
expect_eq "$(count_frames "$TMP/m/2026_Camden__NJ_-Q13-$year.rvs")" 7 "the second match's frames in its file"
expect_eq "$(probe --in "$TMP/m/2026_Camden__NJ_-Q13-$year.rvs" | head -n 1 | jq -c '[.topic, .value]')" '["/FMSInfo/MatchNumber",13]' \
  "the record that changed the match opens the new file"
frames 3 1 | rec --out "$TMP/n/%event-%match.rvs" 2>"$TMP/no.err" || fail "rec: $(cat "$TMP/no.err")"
expect_eq "$(ls "$TMP/n")" "noevent-nomatch.rvs" "placeholders when the FMS info is unknown"
frames 3 1 | rec --out "$TMP/n/%event-%match.rvs" 2>"$TMP/no.err" || fail "rec: $(cat "$TMP/no.err")"
expect_eq "$(ls "$TMP/n" | tr '\n' ' ')" "noevent-nomatch-1.rvs noevent-nomatch.rvs " "a pattern never overwrites: -1 is added"

# 2. --split-mb: 64x48 bgr8 frames are 9216 bytes; 0.05 MB is 5 of them a file.
frames 23 1 | rec --out "$TMP/s/part.rvs" --split-mb 0.05 2>"$TMP/split.err" || fail "rec --split-mb: $(cat "$TMP/split.err")"
expect_eq "$(ls "$TMP/s" | tr '\n' ' ')" "part-1.rvs part-2.rvs part-3.rvs part-4.rvs part.rvs " "--split-mb: five files"
total=0 next=0
for f in part part-1 part-2 part-3 part-4; do
  for s in $(probe --in "$TMP/s/$f.rvs" | jq -r 'select(.type == "frame") | .seq'); do
    expect_eq "$s" "$next" "frame $next in $f.rvs, in order" >/dev/null
    next=$((next + 1))
  done
done
expect_eq "$next" 23 "every frame in exactly one part, in order"
# --split-s: a live pattern at 30 fps for about 2.5 s into parts of 1 s.
cap --test-pattern --size 64x48 --fps 30 --count 75 2>/dev/null | rec --out "$TMP/t/%H%M%S.rvs" --split-s 1 2>"$TMP/splits.err" ||
  fail "rec --split-s: $(cat "$TMP/splits.err")"
n=$(ls "$TMP/t" | wc -l)
[ "$n" -ge 3 ] || fail "--split-s 1 over 2.5 s made $n files"
ok "--split-s 1 over 2.5 s: $n files"
sum=0
for f in "$TMP"/t/*.rvs; do
  sum=$((sum + $(count_frames "$f")))
  span=$(probe --in "$f" | jq -s '(.[-1].t_rec - .[0].t_rec) < 1000000')
  expect_eq "$span" true "$(basename "$f") spans less than a second"
done
expect_eq "$sum" 75 "every frame in one of the --split-s files"

# 3. --keep-gb: the oldest recordings of the folder go, the current one and other files stay.
mkdir -p "$TMP/k"
for i in 1 2 3; do head -c 20000 /dev/zero >"$TMP/k/old$i.rvs"; touch -d "$((10 - i)) hours ago" "$TMP/k/old$i.rvs"; done
echo keep >"$TMP/k/notes.txt"
frames 5 1 | rec --out "$TMP/k/new.rvs" --keep-gb 0.00003 2>"$TMP/keep.err" || fail "rec --keep-gb: $(cat "$TMP/keep.err")"
expect_eq "$(ls "$TMP/k" | tr '\n' ' ')" "new.rvs notes.txt old3.rvs " "--keep-gb 30 kB: the two oldest recordings deleted"
expect_eq "$(grep -c 'deleted .*old[12].rvs' "$TMP/keep.err")" 2 "each deletion is said"
done_testing
