#!/usr/bin/env bash
# detect's detector options through the tool: --ids keeps only the listed tags, --threads does not
# change what is found, --blur and --max-hamming are taken, --family 16h5 finds 16h5 tags.
source "$(dirname "$0")/lib/detect.bash"
CAP="$RVKIT_BIN/cap"
[ -x "$CAP" ] || fail "cap is not built"

# A synthetic scene with 6 known tags, 8 frames.
"$CAP" --test-pattern --truth --count 8 --fps 0 --size 640x480 --tags 6 --seed 5 >"$TMP/frames"
truth_ids=$(head -n 1 "$TMP/frames" | jq -c '[.truth.tags[].id] | sort')
ids() { jq -c '[.tags[].id] | sort' "$1" | sort -u | tr '\n' ' '; }

"$DETECT" --threads 1 <"$TMP/frames" >"$TMP/t1"
"$DETECT" --threads 2 <"$TMP/frames" >"$TMP/t2"
[ "$(ids "$TMP/t1")" = "$truth_ids " ] || fail "--threads 1 found $(ids "$TMP/t1"), the scene has $truth_ids"
[ "$(jq -c '[.tags[] | [.id, .corners]]' "$TMP/t1")" = "$(jq -c '[.tags[] | [.id, .corners]]' "$TMP/t2")" ] ||
  fail "--threads 2 gives other tags or corners than --threads 1"
ok "--threads 1 and 2: the same $truth_ids, corner for corner"

keep=$(jq -r '.[0:2] | map(tostring) | join(",")' <<<"$truth_ids")
"$DETECT" --ids "$keep" <"$TMP/frames" >"$TMP/some"
[ "$(ids "$TMP/some")" = "$(jq -c '.[0:2]' <<<"$truth_ids") " ] || fail "--ids $keep: found $(ids "$TMP/some")"
ok "--ids $keep keeps only those tags"

"$DETECT" --blur 0.8 --max-hamming 1 <"$TMP/frames" >"$TMP/blur"
[ "$(ids "$TMP/blur")" = "$truth_ids " ] || fail "--blur 0.8 --max-hamming 1: found $(ids "$TMP/blur")"
ok "--blur 0.8 --max-hamming 1 are taken and still find every tag"

# 16h5: the PhotonVision photo of a 16h5 tag (id 4, its README), and nothing with 36h11 there.
img="$TD/photonvision/apriltag/tag_corner_1280.jpg"
jpeg_frame "$img" 0 >"$TMP/f16"
"$DETECT" --family 16h5 <"$TMP/f16" >"$TMP/r16"
jq -e '[.tags[].id] == [4]' "$TMP/r16" >/dev/null || fail "--family 16h5: $(jq -c '[.tags[].id]' "$TMP/r16")"
"$DETECT" <"$TMP/f16" >"$TMP/r36"
jq -e '.tags == []' "$TMP/r36" >/dev/null || fail "36h11 found tags on a 16h5 photo: $(jq -c '[.tags[].id]' "$TMP/r36")"
ok "--family 16h5 finds tag 4 on a 16h5 photo; 36h11 finds nothing there"
done_testing
