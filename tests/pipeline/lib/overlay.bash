# Helpers for the overlay pipeline tests (sourced, not a test itself), on top of common.bash: the
# golden images of tests/golden, a frame's pixels out of a stream, and image comparison.
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
: "${RVKIT_SOURCE:?run through ctest, which sets RVKIT_SOURCE}"
GOLDEN="$RVKIT_SOURCE/tests/golden"
for t in cap overlay probe; do [ -x "$RVKIT_BIN/$t" ] || fail "$t is not built"; done

# frame_raw STREAM INDEX OUT: the payload of the INDEX-th frame (from 0); prints "W H FMT".
frame_raw() {
  node -e '
    const fs = require("fs");
    const [file, idx, out] = process.argv.slice(1);
    const b = fs.readFileSync(file);
    let i = 0, n = 0;
    while (i < b.length) {
      const nl = b.indexOf(10, i);
      const h = JSON.parse(b.subarray(i, nl));
      const p = b.subarray(nl + 1, nl + 1 + (h.bytes || 0));
      i = nl + 1 + (h.bytes || 0);
      if (h.type !== "frame" || n++ !== +idx) continue;
      fs.writeFileSync(out, p);
      console.log(`${h.w} ${h.h} ${h.fmt}`);
      process.exit(0);
    }
    console.error(`no frame ${idx} in ${file}`);
    process.exit(1);' "$1" "$2" "$3"
}

# frame_png STREAM INDEX OUT.png: a bgr8 frame as a PNG (ffmpeg), to compare or to look at.
frame_png() {
  local w h f
  read -r w h f < <(frame_raw "$1" "$2" "$TMP/frame.raw") || fail "no frame $2 in $1"
  [ "$f" = bgr8 ] || fail "frame $2 of $1 is $f, not bgr8"
  ffmpeg -v error -y -f rawvideo -pix_fmt bgr24 -s "${w}x${h}" -i "$TMP/frame.raw" "$3"
}

# image_diff A B [gray]: compares two images of the same size (any format ffmpeg reads) and prints
# "FAR MEAN": the share of pixels (%) differing by more than 48 in a channel, and the mean of the
# largest channel difference: the same measure as the unit tests' golden comparison. With "gray",
# both are compared as grey images.
image_diff() {
  local sa sb pix=rgb24 ch=3
  [ "${3:-}" = gray ] && pix=gray && ch=1
  sa=$(image_size "$1")
  sb=$(image_size "$2")
  [ "$sa" = "$sb" ] || fail "image sizes differ: $1 is $sa, $2 is $sb"
  ffmpeg -v error -y -i "$1" -f rawvideo -pix_fmt $pix "$TMP/a.raw"
  ffmpeg -v error -y -i "$2" -f rawvideo -pix_fmt $pix "$TMP/b.raw"
  node -e '
    const fs = require("fs");
    const a = fs.readFileSync(process.argv[1]), b = fs.readFileSync(process.argv[2]), ch = +process.argv[3];
    let far = 0, sum = 0;
    for (let i = 0; i < a.length; i += ch) {
      let d = 0;
      for (let k = 0; k < ch; k++) d = Math.max(d, Math.abs(a[i + k] - b[i + k]));
      if (d > 48) far++;
      sum += d;
    }
    const n = a.length / ch;
    console.log(`${(100 * far / n).toFixed(3)} ${(sum / n).toFixed(3)}`);' "$TMP/a.raw" "$TMP/b.raw" $ch
}

# expect_similar ACTUAL.png GOLDEN.png WHAT: at most 0.5% of pixels off by more than 48, mean under 1.5.
# RVKIT_UPDATE_GOLDEN=1 copies ACTUAL over GOLDEN instead.
expect_similar() {
  if [ "${RVKIT_UPDATE_GOLDEN:-}" = 1 ]; then cp "$1" "$2"; ok "$3 (golden written: $2)"; return; fi
  [ -f "$2" ] || fail "$3: golden image missing: $2 (RVKIT_UPDATE_GOLDEN=1 writes it)"
  local far mean
  read -r far mean < <(image_diff "$1" "$2")
  awk -v f="$far" -v m="$mean" 'BEGIN { exit !(f <= 0.5 && m <= 1.5) }' ||
    { cp "$1" "/tmp/rvkit-overlay-actual-$(basename "$2")"; fail "$3: ${far}% of pixels differ by more than 48, mean $mean (actual: /tmp/rvkit-overlay-actual-$(basename "$2"))"; }
  ok "$3 (${far}% far, mean $mean)"
}
