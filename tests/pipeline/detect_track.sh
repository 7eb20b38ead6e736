#!/usr/bin/env bash
# detect --track on the test pattern's moving scene (a recorded stream, so nothing is dropped): the
# same tags in every frame as the full search, corners within a few hundredths of a pixel of it, a
# full search only every --track-every frames (-v says how many), and bad options in one line.
source "$(dirname "$0")/lib/common.bash"
CAP="$RVKIT_BIN/cap"
DETECT="$RVKIT_BIN/detect"
"$CAP" --test-pattern --size 640x480 --fps 0 --count 60 --fmt gray8 --tags 6 2>/dev/null >"$TMP/frames"
"$DETECT" --in "$TMP/frames" --threads 1 >"$TMP/full"
"$DETECT" --in "$TMP/frames" --threads 1 --track --track-every 10 -v >"$TMP/tracked" 2>"$TMP/tracked.err" ||
  fail "detect --track: $(cat "$TMP/tracked.err")"
expect_eq "$(wc -l <"$TMP/tracked")" 60 "a record for every frame"
ids() { jq -c '[.seq, [.tags[].id]]' "$1"; }
expect_eq "$(ids "$TMP/tracked" | md5sum)" "$(ids "$TMP/full" | md5sum)" "the same tags in every frame as the full search"
[ "$(jq -s '[.[].tags | length] | add' "$TMP/full")" -gt 200 ] || fail "the scene should show tags in most frames"
# Corner error against the truth (cap --truth puts pixel centres at +0.5, detect at 0): the tracker's
# mean no worse than the full search's (it uses full resolution for small tags).
"$CAP" --test-pattern --size 640x480 --fps 0 --count 60 --fmt gray8 --tags 6 --truth 2>/dev/null |
  "$RVKIT_BIN/probe" | jq -c 'select(.type == "frame") | [.truth.tags[] | {id, corners}]' >"$TMP/truth"
err() {
  jq -n --slurpfile t "$TMP/truth" --slurpfile d "$1" '[range(0; 60) as $i | $d[$i].tags[] as $g |
    ($t[$i][] | select(.id == $g.id)) as $w | range(0; 4) as $c |
    (($g.corners[$c][0] - $w.corners[$c][0] + 0.5) as $dx | ($g.corners[$c][1] - $w.corners[$c][1] + 0.5) as $dy |
     ($dx * $dx + $dy * $dy) | sqrt)] | add / length'
}
e_full=$(err "$TMP/full"); e_tracked=$(err "$TMP/tracked")
awk -v a="$e_full" -v b="$e_tracked" 'BEGIN { exit !(a < 0.2 && b <= a * 1.05 + 0.005) }' ||
  fail "mean corner error: tracked $e_tracked px, full search $e_full px"
ok "mean corner error against the truth: tracked $e_tracked px, full search $e_full px"
expect_match "$(grep tracking: "$TMP/tracked.err")" "tracking: [0-9]+ full searches, [0-9]+ tracked frames" "-v says how it tracked"
full=$(grep tracking: "$TMP/tracked.err" | sed -nE 's/.*tracking: ([0-9]+) full searches.*/\1/p')
[ "$full" -le 12 ] || fail "$full full searches in 60 frames with --track-every 10"
ok "$full full searches in 60 frames"
expect_fails 2 "--track-every must be 1..1000 frames, got 0" "--track-every 0" -- "$DETECT" --track --track-every 0
expect_fails 2 "--track needs AprilTags" "--track --no-tags" -- "$DETECT" --track --no-tags --color 0-10,100-255,100-255
done_testing
