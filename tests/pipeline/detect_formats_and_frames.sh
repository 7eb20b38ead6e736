#!/usr/bin/env bash
# detect reads gray8, bgr8 and jpeg frames alike, finds the same tag ids as the apriltag CLI on the
# same pixels, forwards frames ahead of their records with --frames, and passes other records on.
source "$(dirname "$0")/lib/detect.bash"

img="$TD/apriltag-reference/34085369442_304b6bafd9_c.jpg"
# The same pixels for everyone: ffmpeg decodes the JPEG once to a PGM.
ffmpeg -v error -i "$img" -pix_fmt gray "$TMP/ref.pgm"

# The apriltag CLI's ids at decimate D (max hamming 0, 1 thread; -v prints one line per tag), sorted
# as comm wants them.
cli_ids() { apriltag -q -v -x "$1" -m 0 -t 1 "$TMP/ref.pgm" 2>/dev/null | awk '$2 == "-" && $5 != "-" {print $5}' | sort; }
# detect's ids on the reference image with OPTIONS (and -v's lines in ERR-FILE), sorted likewise.
detect_ids() { local err=$1; shift; raw_frame "$TMP/ref.pgm" 0 gray8 | "$DETECT" -v "$@" 2>"$err" | jq -r '.tags[].id' | sort; }
cli_ids 2 >"$TMP/cli_ids"
[ -s "$TMP/cli_ids" ] || fail "the apriltag CLI found nothing"

{
  raw_frame "$TMP/ref.pgm" 0 gray8
  raw_frame "$TMP/ref.pgm" 1 bgr8
  jpeg_frame "$img" 2
  printf '{"type":"note","cam":"cam0","text":"passes through"}\n'
} >"$TMP/frames"

"$DETECT" --decimate 2 --no-fine-pass --threads 1 --min-margin 0 <"$TMP/frames" >"$TMP/records"
[ "$(wc -l <"$TMP/records")" -eq 4 ] || fail "expected 3 records and 1 passed-through record"
jq -e -s '.[3] == {"type":"note","cam":"cam0","text":"passes through"}' "$TMP/records" >/dev/null ||
  fail "a non-frame record was not passed through unchanged"
ok "other records pass through unchanged"

for i in 0 1; do
  jq -r -s ".[$i].tags[].id" "$TMP/records" | sort >"$TMP/ids$i"
  cmp -s "$TMP/ids$i" "$TMP/cli_ids" || fail "frame $i: ids $(tr '\n' ' ' <"$TMP/ids$i") differ from the CLI's $(tr '\n' ' ' <"$TMP/cli_ids")"
done
ok "gray8 and bgr8 frames: the same $(wc -l <"$TMP/cli_ids") ids as the apriltag CLI"
# detect's default fine pass adds small tags the decimated search missed: all of the CLI's at
# decimate 2, and no id that the CLI at decimate 1 does not find. (It may find more tags of those
# ids than the CLI: it searches sharpened regions, and on this photo, where every tag is id 0, it
# finds two on cubes at the back that the CLI misses at decimate 1.)
cli_ids 1 >"$TMP/cli_ids_d1"
detect_ids "$TMP/fine.err" --threads 1 --min-margin 0 >"$TMP/ids_fine"
[ "$(comm -23 "$TMP/cli_ids" "$TMP/ids_fine" | wc -l)" -eq 0 ] || fail "the fine pass lost tags: $(tr '\n' ' ' <"$TMP/ids_fine")"
[ "$(comm -13 <(uniq "$TMP/cli_ids_d1") <(uniq "$TMP/ids_fine") | wc -l)" -eq 0 ] ||
  fail "the fine pass found tags the CLI at decimate 1 does not: $(tr '\n' ' ' <"$TMP/ids_fine")"
(( $(wc -l <"$TMP/ids_fine") > $(wc -l <"$TMP/cli_ids") )) || fail "the fine pass found no more tags than decimate 2"
grep -Eq "^detect: fine pass: [0-9]+ regions searched at full resolution, [1-9][0-9]* tags found only there$" "$TMP/fine.err" ||
  fail "-v does not report the fine pass: $(cat "$TMP/fine.err")"
detect_ids "$TMP/fine2.err" --workers 2 --threads 1 --min-margin 0 >"$TMP/ids_fine2"
cmp -s "$TMP/ids_fine" "$TMP/ids_fine2" || fail "--workers 2 found other tags: $(tr '\n' ' ' <"$TMP/ids_fine2")"
[ "$(grep '^detect: fine pass:' "$TMP/fine2.err")" = "$(grep '^detect: fine pass:' "$TMP/fine.err")" ] ||
  fail "--workers 2 -v reports the fine pass otherwise: $(cat "$TMP/fine2.err")"
ok "the fine pass (default): $(wc -l <"$TMP/ids_fine") tags, between the CLI's $(wc -l <"$TMP/cli_ids") at decimate 2 and $(wc -l <"$TMP/cli_ids_d1") at decimate 1; -v reports it, with --workers too"
# The JPEG decoded by OpenCV instead of ffmpeg: the same tags, corners within half a pixel.
jq -e -s '[.[0].tags[].id] == [.[2].tags[].id] and
          ([range(0; .[0].tags|length) as $i | range(0; 4) as $k |
            ((.[0].tags[$i].corners[$k][0] - .[2].tags[$i].corners[$k][0])|fabs),
            ((.[0].tags[$i].corners[$k][1] - .[2].tags[$i].corners[$k][1])|fabs)] | max) < 0.5' \
  "$TMP/records" >/dev/null || fail "jpeg frame disagrees with the raw frame"
ok "jpeg frame: same tags, corners within 0.5 px of the raw frame's"

# --frames: each frame, untouched, then its record.
"$DETECT" --frames --decimate 2 <"$TMP/frames" >"$TMP/both"
messages "$TMP/both" >"$TMP/summary"
awk 'NR==1' "$TMP/summary" | grep -q '^frame cam0 0 ' || fail "first message is not frame 0: $(head -1 "$TMP/summary")"
awk 'NR==2' "$TMP/summary" | jq -e '.type == "detections" and .seq == 0' >/dev/null || fail "second message is not frame 0's record"
awk 'NR==3' "$TMP/summary" | grep -q '^frame cam0 1 ' || fail "third message is not frame 1"
awk 'NR==5' "$TMP/summary" | grep -Eq "^frame cam0 2 [0-9]+ [0-9]+x[0-9]+ jpeg $(stat -c %s "$img")\$" || fail "the jpeg frame was not forwarded byte for byte"
[ "$(wc -l <"$TMP/summary")" -eq 7 ] || fail "expected 7 messages with --frames, got $(wc -l <"$TMP/summary")"
# The forwarded frames are byte-identical to the input: strip the records and compare.
node -e '
  const fs = require("fs");
  const split = (b) => { const out = []; let i = 0;
    while (i < b.length) { const nl = b.indexOf(10, i); const h = JSON.parse(b.subarray(i, nl)); const n = h.bytes || 0;
      out.push({h, p: b.subarray(nl + 1, nl + 1 + n)}); i = nl + 1 + n; } return out; };
  const a = split(fs.readFileSync(process.argv[1])).filter(m => m.h.type === "frame");
  const b = split(fs.readFileSync(process.argv[2])).filter(m => m.h.type === "frame");
  if (a.length !== b.length) process.exit(1);
  for (let i = 0; i < a.length; i++)
    if (JSON.stringify(a[i].h) !== JSON.stringify(b[i].h) || Buffer.compare(a[i].p, b[i].p) !== 0) process.exit(2);
' "$TMP/frames" "$TMP/both" || fail "forwarded frames differ from the input frames"
ok "--frames forwards each frame byte for byte ahead of its record"
done_testing
