#!/usr/bin/env bash
# detect --workers 2 on a recorded test pattern (with the scene's calibration, so tag and field-free
# poses too), records between the frames and an unusable frame: the same records, byte for byte
# but t_start and t_done, as --workers 1, in the same order; -v counts the workers; --track refused in one line.
source "$(dirname "$0")/lib/common.bash"
CAP="$RVKIT_BIN/cap"
DETECT="$RVKIT_BIN/detect"
[ -x "$CAP" ] || fail "cap is not built"
[ -x "$RVKIT_BIN/probe" ] || fail "probe is not built"

"$CAP" --test-pattern --count 1 --fps 0 --size 640x480 --tags 6 --seed 3 --write-calib "$TMP/calib.json" >/dev/null
{
  "$CAP" --test-pattern --count 15 --fps 0 --size 640x480 --fmt gray8 --tags 6 --seed 3 2>/dev/null
  printf '{"type":"note","i":1}\n{"type":"note","i":2}\n'
  # A frame that cannot be used (not a JPEG): skipped by both, with a warning.
  printf '{"type":"frame","cam":"cam0","seq":900,"t_capture":1,"w":640,"h":480,"fmt":"jpeg","bytes":4}\njunk'
  "$CAP" --test-pattern --count 15 --fps 0 --size 640x480 --fmt gray8 --tags 6 --seed 4 2>/dev/null
  printf '{"type":"note","i":3}\n'
} >"$TMP/frames"

"$DETECT" --in "$TMP/frames" --calib "$TMP/calib.json" --workers 1 >"$TMP/one" 2>"$TMP/one.err" ||
  fail "--workers 1: $(cat "$TMP/one.err")"
"$DETECT" --in "$TMP/frames" --calib "$TMP/calib.json" --workers 2 -v >"$TMP/two" 2>"$TMP/two.err" ||
  fail "--workers 2: $(cat "$TMP/two.err")"
expect_eq "$(jq -r 'select(.type == "detections") | .seq' "$TMP/one" | wc -l)" 30 "--workers 1: a record per usable frame"
[ "$(jq -s '[.[] | select(.type == "detections") | .tags | length] | add' "$TMP/one")" -gt 60 ] ||
  fail "the scene should show tags in most frames"
jq -c 'del(.t_start, .t_done)' "$TMP/one" >"$TMP/one.cmp"
jq -c 'del(.t_start, .t_done)' "$TMP/two" >"$TMP/two.cmp"
cmp -s "$TMP/one.cmp" "$TMP/two.cmp" || fail "--workers 2 differs from --workers 1: $(diff "$TMP/one.cmp" "$TMP/two.cmp" | head -5)"
ok "--workers 2: the same $(wc -l <"$TMP/two.cmp") records as --workers 1 (t_start and t_done aside), notes in their place"
expect_match "$(cat "$TMP/two.err")" "skipping a frame: " "--workers 2 warns of the unusable frame"
expect_match "$(cat "$TMP/two.err")" "skipped 1 unusable frame" "--workers 2 counts it"
expect_match "$(cat "$TMP/two.err")" "30 records from 2 workers, busy [0-9.]+ of 2 on average" "-v: how busy the workers were"

# --frames: each frame ahead of its record, as with one worker (probe prints the headers).
"$DETECT" --in "$TMP/frames" --workers 1 --frames | "$RVKIT_BIN/probe" | jq -c 'del(.t_start, .t_done)' >"$TMP/one.frames"
"$DETECT" --in "$TMP/frames" --workers 2 --frames | "$RVKIT_BIN/probe" | jq -c 'del(.t_start, .t_done)' >"$TMP/two.frames"
expect_eq "$(grep -c '"type":"frame"' "$TMP/two.frames")" 30 "--workers 2 --frames: the usable frames forwarded"
cmp -s "$TMP/one.frames" "$TMP/two.frames" || fail "--workers 2 --frames differs: $(diff "$TMP/one.frames" "$TMP/two.frames" | head -5)"
ok "--workers 2 --frames: frames and records in the same order as --workers 1"
expect_fails 2 "--track .*cannot be used with --workers above 1" "--track --workers 2" -- "$DETECT" --track --workers 2
expect_fails 2 "--workers" "--workers 0" -- "$DETECT" --workers 0
done_testing
