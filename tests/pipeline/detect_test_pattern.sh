#!/usr/bin/env bash
# cap --test-pattern | detect: every tag of the synthetic scene found with its corners within
# 0.5 px of the exact truth cap puts in the frame headers, and, with the scene's camera matrix as
# the calibration, the tag translations within 2% of their distance.
source "$(dirname "$0")/lib/detect.bash"
CAP="$RVKIT_BIN/cap"
[ -x "$CAP" ] || fail "cap is not built"

n=12
"$CAP" --test-pattern --truth --count $n --fps 0 --size 1280x720 --tags 6 --seed 3 >"$TMP/frames"
# The scene's pinhole camera, as cap writes it (--write-calib, OpenCV JSON): the truth's K with the
# principal point moved by half a pixel (the truth uses libapriltag's pixel convention, centre of
# the top-left pixel at 0.5; calibrations use OpenCV's, at 0).
"$CAP" --test-pattern --count 1 --fps 0 --size 1280x720 --tags 6 --seed 3 --write-calib "$TMP/calib.json" >/dev/null
jq -e --argjson K "$(head -n 1 "$TMP/frames" | jq -c .truth.K)" \
  '.image_width == 1280 and .image_height == 720 and .camera_matrix.data ==
   [$K[0], $K[1], $K[2] - 0.5, $K[3], $K[4], $K[5] - 0.5, $K[6], $K[7], $K[8]] and
   .distortion_coefficients.data == [0, 0, 0, 0, 0]' "$TMP/calib.json" >/dev/null ||
  fail "cap --write-calib: $(jq -c . "$TMP/calib.json"), truth K $(head -n 1 "$TMP/frames" | jq -c .truth.K)"
ok "cap --write-calib writes the scene's camera matrix in OpenCV's pixel convention"

"$DETECT" --frames --decimate 1 --calib "$TMP/calib.json" <"$TMP/frames" >"$TMP/out"
node -e '
  const fs = require("fs");
  const b = fs.readFileSync(process.argv[1]);
  let i = 0, frame = null, frames = 0, tags = 0, worstPx = 0, worstRel = 0, problems = [];
  while (i < b.length) {
    const nl = b.indexOf(10, i);
    const h = JSON.parse(b.subarray(i, nl));
    i = nl + 1 + (h.bytes || 0);
    if (h.type === "frame") { frame = h; continue; }
    if (h.type !== "detections" || !frame || h.seq !== frame.seq || h.cam !== frame.cam ||
        h.t_capture !== frame.t_capture) { problems.push("record does not follow its frame"); continue; }
    frames++;
    for (const t of frame.truth.tags) {
      const d = h.tags.find(x => x.id === t.id);
      if (!d) { problems.push(`frame ${h.seq}: tag ${t.id} not found`); continue; }
      tags++;
      for (let k = 0; k < 4; k++) {
        const e = Math.hypot(d.corners[k][0] - (t.corners[k][0] - 0.5), d.corners[k][1] - (t.corners[k][1] - 0.5));
        worstPx = Math.max(worstPx, e);
      }
      // Truth t is in the optical frame (x right, y down, z forward); ours is WPILib camera frame.
      const p = d.poses[0].camera_to_tag.translation, want = [t.t[2], -t.t[0], -t.t[1]];
      const dist = Math.hypot(...want);
      const rel = Math.hypot(p.x - want[0], p.y - want[1], p.z - want[2]) / dist;
      worstRel = Math.max(worstRel, rel);
    }
    if (h.tags.length !== frame.truth.tags.length) problems.push(`frame ${h.seq}: ${h.tags.length} tags, truth has ${frame.truth.tags.length}`);
  }
  console.log(`${frames} frames, ${tags} tags: worst corner error ${worstPx.toFixed(3)} px, worst translation error ${(100 * worstRel).toFixed(2)}% of distance`);
  if (frames !== Number(process.argv[2])) problems.push(`expected ${process.argv[2]} records, got ${frames}`);
  if (worstPx >= 0.5) problems.push("a corner is 0.5 px or more from the truth");
  if (worstRel >= 0.02) problems.push("a translation is off by 2% of the distance or more");
  if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
' "$TMP/out" $n >"$TMP/summary" || fail "$(cat "$TMP/summary")"
ok "$(cat "$TMP/summary")"
done_testing
