#!/usr/bin/env bash
# calib as a user runs it: PhotonVision's real 640x480 photos through cap into calib, the files it
# writes read by detect --calib, annotated frames probed downstream, a printable board, and bad input
# (a bad board spec, frames of changing size, too few views, no frames) as one line each.
source "$(dirname "$0")/lib/common.bash"
TD=${RVKIT_TESTDATA:?}
photos="$TD/photonvision/calibration-images/2024-01-02_lifecam_480"
[ -d "$photos" ] || fail "test data missing: $photos"

# Offline: every photo's board found and kept, the result written in both formats.
cap --file "$photos/*.png" | calib --board chessboard:11x11:0.0254 --all-views --out "$TMP/cam.yaml" \
  --photonvision "$TMP/cam.json" --frames-out "$TMP/annotated.rvk" 2>"$TMP/err"
err=$(cat "$TMP/err")
expect_match "$err" "14 views used of 14 kept \(14 frames, 14 with the board\)" "every board found and used"
expect_match "$err" "fx 70[0-9]\.[0-9]+ fy 70[0-9]\.[0-9]+ cx 30[0-9]\.[0-9]+ cy 22[0-9]\.[0-9]+ \(1-sigma" "intrinsics with their standard deviations"
expect_match "$err" "projection uncertainty" "the projection uncertainty is reported"
fx=$(python3 -c "import json; print(json.load(open('$TMP/cam.json'))['cameraIntrinsics']['data'][0])")
python3 -c "import sys; sys.exit(0 if abs($fx - 703.752) / 703.752 < 0.003 else 1)" || fail "fx $fx is not within 0.3% of PhotonVision's 703.752"
ok "PhotonVision JSON: fx $fx within 0.3% of PhotonVision's own calibration"
expect_eq "$(probe --summary -q --in "$TMP/annotated.rvk" 2>&1 | grep -c '"messages":14' || true)" 1 "14 annotated frames written"

# detect reads both files.
for f in cam.yaml cam.json; do
  cap --file "$photos/img0.png" | detect --calib "$TMP/$f" >/dev/null 2>"$TMP/derr" || fail "detect --calib $f: $(cat "$TMP/derr")"
  ok "detect --calib reads calib's $f"
done

# The board to print.
calib --print-board charuco:11x8:0.030:0.022:DICT_5X5_1000 --dpi 100 "$TMP/board.png" 2>"$TMP/err"
expect_match "$(cat "$TMP/err")" "board 330.0 x 240.0 mm at 100 dpi" "--print-board writes the board"
[ -s "$TMP/board.png" ] || fail "no board.png"
ok "board.png written"
calib --print-board charuco:11x8:0.030:0.022:DICT_5X5_1000 "$TMP/board.svg" 2>"$TMP/err"
expect_match "$(cat "$TMP/err")" "board.svg: vector page, board 330.0 x 240.0 mm at true size" "--print-board writes an SVG page"
expect_eq "$(head -c 5 "$TMP/board.svg")" "<?xml" "board.svg is SVG"
# The SVG as a browser draws it (headless chromium's screenshot) has every corner calib finds.
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps installs it)"
timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d "$TMP/chromium.XXXXXX")" --hide-scrollbars \
  --window-size=1400,1150 --screenshot="$TMP/svg.png" "file://$TMP/board.svg" >"$TMP/chromium.log" 2>&1 ||
  fail "chromium failed: $(tail -5 "$TMP/chromium.log")"
cap --file "$TMP/svg.png" | calib --board charuco:11x8:0.030:0.022:DICT_5X5_1000 -v --frames-out none 2>"$TMP/err" || true
expect_match "$(cat "$TMP/err")" "frame 0: 70 corners" "all 70 corners found in the SVG as chromium draws it"
calib --print-board chessboard:9x7:0.025 "$TMP/board.pdf" 2>/dev/null
expect_eq "$(head -c 5 "$TMP/board.pdf")" "%PDF-" "board.pdf is PDF"

# Bad input, one line each.
expect_fails 2 "calib: --board 'charuco:11x8:0.03': a ChArUco board has 5 fields" "a board spec that does not parse" -- \
  calib --board charuco:11x8:0.03 </dev/null
expect_fails 2 "calib: --board is required" "no board" -- calib </dev/null
expect_fails 2 "calib: --model 'brown'" "unknown model" -- calib --board chessboard:11x11:0.0254 --model brown </dev/null
expect_fails 1 "calib: no frames in the input" "no frames" -- calib --board chessboard:11x11:0.0254 </dev/null
cap --file "$photos/img[0-2].png" >"$TMP/three.rvk"
expect_fails 1 "calib: too few views to calibrate: 3 with the board found, at least 4 needed" "too few views" -- \
  calib --board chessboard:11x11:0.0254 --all-views --frames-out none --in "$TMP/three.rvk"
cap --file "$photos/img0.png" >"$TMP/mixed.rvk"
cap --file "$TD/photonvision/calibration-images/2024-01-02_lifecam_1280/img0.png" >>"$TMP/mixed.rvk"
expect_fails 1 "calib: frame 1 is 1280x720, the first was 640x480" "frames of changing size" -- \
  calib --board chessboard:11x11:0.0254 --frames-out none --in "$TMP/mixed.rvk"
# No board in view is a status, not an error (it then has too few views to solve).
cap --test-pattern --count 3 | calib --board chessboard:11x11:0.0254 -v --frames-out none 2>"$TMP/err" && fail "solved without views"
expect_match "$(cat "$TMP/err")" "no board in view" "no board in view: a running status"
done_testing
