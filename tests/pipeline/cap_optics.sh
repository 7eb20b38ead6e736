#!/usr/bin/env bash
# cap --test-pattern --optics camera: the camera-like scene (area-sampled, blurred, noisy, JPEG, over
# clutter) with its exact truth; detect --calib (corner refinement on) finds every tag with its corners
# within 0.1 px of the truth on average and no scale bias; bad uses of --optics exit 2.
source "$(dirname "$0")/lib/detect.bash"
CAP="$RVKIT_BIN/cap"
[ -x "$CAP" ] || fail "cap is not built"

expect_fails 2 "optics" "--optics with an unknown value" -- "$CAP" --test-pattern --optics fisheye --count 1 --fps 0
expect_fails 2 "--optics: only the test pattern" "--optics without --test-pattern" -- "$CAP" --file /dev/null --optics camera

n=6
args=(--test-pattern --fps 0 --size 1280x720 --tags 6 --seed 4)
"$CAP" "${args[@]}" --count $n --optics camera --truth >"$TMP/camera"
"$CAP" "${args[@]}" --count $n --truth >"$TMP/sharp"
[ "$(head -n 1 "$TMP/camera" | jq -c .truth.tags)" == "$(head -n 1 "$TMP/sharp" | jq -c .truth.tags)" ] ||
  fail "the camera optics changed the scene's truth"
cmp -s "$TMP/camera" "$TMP/sharp" && fail "--optics camera gave the sharp pattern's pixels"
ok "--optics camera renders the same scene (same truth), other pixels"

"$CAP" "${args[@]}" --count 1 --write-calib "$TMP/calib.json" >/dev/null
"$DETECT" --frames --decimate 1 --calib "$TMP/calib.json" <"$TMP/camera" >"$TMP/out"
node -e '
  const fs = require("fs");
  const b = fs.readFileSync(process.argv[1]);
  let i = 0, frame = null, tags = 0, err = 0, scale = 0, problems = [];
  const perim = c => [0, 1, 2, 3].reduce((s, k) => s + Math.hypot(c[k][0] - c[(k + 1) % 4][0], c[k][1] - c[(k + 1) % 4][1]), 0);
  while (i < b.length) {
    const nl = b.indexOf(10, i);
    const h = JSON.parse(b.subarray(i, nl));
    i = nl + 1 + (h.bytes || 0);
    if (h.type === "frame") { frame = h; continue; }
    if (h.type !== "detections") continue;
    for (const t of frame.truth.tags) {
      const d = h.tags.find(x => x.id === t.id);
      if (!d) { problems.push(`frame ${h.seq}: tag ${t.id} not found`); continue; }
      tags++;
      for (let k = 0; k < 4; k++)
        err += Math.hypot(d.corners[k][0] - (t.corners[k][0] - 0.5), d.corners[k][1] - (t.corners[k][1] - 0.5)) / 4;
      scale += perim(d.corners) / perim(t.corners);
    }
  }
  err /= tags; scale = scale / tags - 1;
  console.log(`${tags} tags: mean corner error ${err.toFixed(3)} px, mean scale ${(100 * scale).toFixed(3)} %`);
  if (tags !== 6 * Number(process.argv[2])) problems.push(`expected ${6 * process.argv[2]} tags, got ${tags}`);
  if (!(err < 0.1)) problems.push("mean corner error is 0.1 px or more");
  if (!(Math.abs(scale) < 0.0015)) problems.push("the quads are biased by 0.15 % or more");
  if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
' "$TMP/out" $n >"$TMP/summary" || fail "$(cat "$TMP/summary")"
ok "detect --calib on the camera-like pattern: $(cat "$TMP/summary")"
done_testing
