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

# --lens: the scene through a barrel lens, --write-calib writes it; detect with that calibration gives
# true tag distances, with the pinhole one (the lens left out) not.
lens=(--lens=-0.25,0.08,0.0005,-0.0003,-0.01)
"$CAP" "${args[@]}" --count 4 --optics camera "${lens[@]}" --truth --write-calib "$TMP/lens.yaml" >"$TMP/lens"
grep -q -- "-2.5000000000000000e-01" "$TMP/lens.yaml" || fail "--write-calib did not write the lens: $(cat "$TMP/lens.yaml")"
ok "--write-calib writes the lens"
dist_err() {  # median |distance - true distance| / true distance, %, over the tags found
  "$DETECT" --frames --calib "$1" <"$TMP/lens" | "$RVKIT_BIN/probe" | jq -s -r '
    [foreach .[] as $m ({}; if $m.type == "frame" then {f: $m} else . + {d: $m} end;
      select(.d != null and .d.type == "detections" and .d.seq == .f.seq) | . as $p |
      $p.d.tags[] as $g | ($p.f.truth.tags[] | select(.id == $g.id)) as $w |
      (($w.t[0] * $w.t[0] + $w.t[1] * $w.t[1] + $w.t[2] * $w.t[2]) | sqrt) as $td |
      (($g.distance - $td) | fabs) / $td * 100)] | sort | .[length / 2 | floor]'
}
with=$(dist_err "$TMP/lens.yaml"); without=$(dist_err "$TMP/calib.json")
awk -v a="$with" -v b="$without" 'BEGIN { exit !(a < 0.5 && b > 2 * a) }' ||
  fail "tag distance error through the lens: $with % with its calibration, $without % without"
ok "through the lens: tag distances off by $with % (median) with its calibration, $without % with a pinhole one"
expect_fails 2 "--lens: the lens is part of the camera optics" "--lens without --optics camera" -- \
  "$CAP" --test-pattern "${lens[@]}" --count 1 --fps 0
done_testing
