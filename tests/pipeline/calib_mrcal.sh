#!/usr/bin/env bash
# calib against a real peer, mrcal (Debian's mrcal 2.2): ChArUco views rendered with a known camera
# (rvkit-calib-render, the calibration unit tests' renderer) go through cap into calib, which picks
# at most 30 of 150 and writes their corners as mrcal's corners file, and the views themselves;
# mrcal-calibrate-cameras solves the same corners with the same model (LENSMODEL_OPENCV5 for
# --model pinhole5), twice:
# - on exactly calib's problem (calib --corner-outliers 0; mrcal with a flat board, no
#   regularization, no outlier rejection): the two solvers must find the same minimum;
# - as each runs by default (each rejects outlier corners; mrcal also fits the board's warp and
#   regularizes): both within 0.3% of the true fx fy cx cy, and within 2 x mrcal's stated 1-sigma
#   of each other (its covariance, tests/pipeline/lib/mrcal_intrinsics.py).
source "$(dirname "$0")/lib/common.bash"
HELPERS=${RVKIT_HELPERS:-$RVKIT_BIN/../test-helpers}
PY=/usr/bin/python3  # Debian's, which has mrcal's and OpenCV's Python modules (not a pyenv python3 earlier on PATH)
command -v mrcal-calibrate-cameras >/dev/null || fail "mrcal-calibrate-cameras is not installed (scripts/install-deps: mrcal)"
board=charuco:9x7:0.04:0.03:DICT_5X5_100

"$HELPERS/rvkit-calib-render" --board "$board" --count 150 "$TMP/frames" || fail "rendering the views"
calib_run() {  # NAME [OPTIONS...]: calib on the renders, its corners and views in $TMP/NAME
  local name=$1
  shift
  cap --file "$TMP/frames/frame-*.png" |
    calib --board "$board" --max-views 30 --frames-out none --out "$TMP/$name/calib.yaml" \
      --corners-out "$TMP/$name/corners.vnl" --views-out "$TMP/$name" "$@" 2>"$TMP/$name.err" ||
    fail "calib $*: $(cat "$TMP/$name.err")"
}
mrcal_run() {  # NAME [OPTIONS...]: mrcal-calibrate-cameras on $TMP/NAME's corners; its intrinsics as JSON
  local name=$1
  shift
  (cd "$TMP/$name" && mrcal-calibrate-cameras --corners-cache corners.vnl --lensmodel LENSMODEL_OPENCV5 --focal 600 \
    --object-spacing 0.04 --object-width-n 8 --object-height-n 6 --outdir . "$@" 'view-*.png') \
    >"$TMP/$name/mrcal.log" 2>&1 || fail "mrcal-calibrate-cameras $*: $(tail -5 "$TMP/$name/mrcal.log")"
  $PY "$(dirname "$0")/lib/mrcal_intrinsics.py" "$TMP/$name/camera-0.cameramodel" >"$TMP/$name/mrcal.json" ||
    fail "reading mrcal's model in $TMP/$name"
}
# compare NAME SIGMAS [SAME_SIGMA]: fx fy cx cy of calib and mrcal in $TMP/NAME, against the truth
# (0.3%) and each other (within SIGMAS x mrcal's 1-sigma); with SAME_SIGMA, calib's stated 1-sigma
# is also mrcal's within 10%.
compare() {
  $PY - "$TMP/$1/calib.yaml" "$TMP/$1/mrcal.json" "$TMP/frames/truth.json" "$2" "${3:-}" <<'EOF' >"$TMP/$1/compare" ||
import json, sys
import cv2
fs = cv2.FileStorage(sys.argv[1], cv2.FILE_STORAGE_READ)  # calib's YAML, read by OpenCV's own parser
K = fs.getNode("camera_matrix").mat()
node = fs.getNode("std_intrinsics")
sd = [node.at(i).real() for i in range(node.size())]
calib = [K[0, 0], K[1, 1], K[0, 2], K[1, 2]]
m = json.load(open(sys.argv[2]))
truth = json.load(open(sys.argv[3]))["K"]
truth = [truth[0], truth[4], truth[2], truth[5]]
k = float(sys.argv[4])
bad = []
for i, n in enumerate(["fx", "fy", "cx", "cy"]):
    c, r, t, s = calib[i], m["intrinsics"][i], truth[i], m["sigma_intrinsics"][i]
    print(f"{n}: truth {t:.2f} calib {c:.3f} ({100 * (c - t) / t:+.3f}%, 1-sigma {sd[i]:.3f}) "
          f"mrcal {r:.3f} ({100 * (r - t) / t:+.3f}%, 1-sigma {s:.3f}) calib-mrcal {c - r:+.4f} = {(c - r) / s:+.3f} sigma")
    if abs(c - t) / t > 0.003: bad.append(f"calib's {n} {c:.3f} is not within 0.3% of the truth {t}")
    if abs(r - t) / t > 0.003: bad.append(f"mrcal's {n} {r:.3f} is not within 0.3% of the truth {t}")
    if sys.argv[5] and abs(sd[i] / s - 1) > 0.1: bad.append(f"{n}: calib's 1-sigma {sd[i]:.3f} is not mrcal's {s:.3f} within 10%")
    if abs(c - r) > k * s: bad.append(f"{n}: calib {c:.3f} and mrcal {r:.3f} differ by more than {k} x mrcal's 1-sigma {s:.3f}")
print(f"mrcal: residuals' sigma {m['observed_pixel_uncertainty']:.3f} px per coordinate, "
      f"{m['ignored_points']} corners not found or left out as outliers")
if bad:
    print("; ".join(bad))
    sys.exit(1)
EOF
    fail "$1: $(cat "$TMP/$1/compare")"
  sed 's/^/  /' "$TMP/$1/compare"
}

# The same problem: both solvers without outlier rejection, flat board, no regularization.
calib_run same --corner-outliers 0
err=$(cat "$TMP/same.err")
expect_match "$err" "wrote $TMP/same/corners.vnl \(30 views; mrcal-calibrate-cameras --corners-cache .* --lensmodel LENSMODEL_OPENCV5 --focal 60[0-9] --object-spacing 0.04 --object-width-n 8 --object-height-n 6\)" \
  "calib writes the used views' corners for mrcal"
expect_eq "$(head -1 "$TMP/same/corners.vnl")" "# filename x y level" "mrcal's legend"
expect_eq "$(grep -vc '^#' "$TMP/same/corners.vnl")" $((30 * 48)) "48 rows (8x6 inner corners) per view"
expect_eq "$(ls "$TMP/same"/view-*.png | wc -l)" 30 "the 30 kept views written as images"
mrcal_run same --skip-outlier-rejection --skip-calobject-warp-solve --skip-regularization
compare same 0.02 same-sigma
ok "the same problem: calib (OpenCV) and mrcal find the same fx fy cx cy (within 0.02 x mrcal's 1-sigma), with the same 1-sigma (10%)"

# Each as it runs by default.
calib_run default
expect_match "$(cat "$TMP/default.err")" "RMS [0-9.]+ px over [0-9]+ corners \([1-9][0-9]* left out as outliers\)" \
  "calib leaves out outlier corners"
mrcal_run default
compare default 2
ok "defaults: calib and mrcal agree within 2 x mrcal's 1-sigma on fx fy cx cy, both within 0.3% of the truth"
done_testing
