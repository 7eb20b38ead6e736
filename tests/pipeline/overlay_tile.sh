#!/usr/bin/env bash
# overlay --tile: two test-pattern cameras side by side in one output camera; a camera that stops
# does not stop the tile; cameras outside the tile pass through.
source "$(dirname "$0")/lib/overlay.bash"

# interleave A B: the frames of two recorded streams alternately, A0 B0 A1 B1 ...
interleave() {
  node -e '
    const fs = require("fs");
    const split = (b) => { const out = []; let i = 0;
      while (i < b.length) { const nl = b.indexOf(10, i); const h = JSON.parse(b.subarray(i, nl));
        const end = nl + 1 + (h.bytes || 0); out.push(b.subarray(i, end)); i = end; } return out; };
    const a = split(fs.readFileSync(process.argv[1])), b = split(fs.readFileSync(process.argv[2]));
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i < a.length) process.stdout.write(a[i]);
      if (i < b.length) process.stdout.write(b[i]);
    }' "$1" "$2"
}

n=6
cap --test-pattern --fps 0 --count $n --size 640x480 --name left --seed 1 >"$TMP/left"
cap --test-pattern --fps 0 --count $n --size 640x480 --name right --seed 2 >"$TMP/right"
interleave "$TMP/left" "$TMP/right" | overlay --max-wait 0 --hud none --tile left,right --name driver --size 640x240 >"$TMP/tiles"
messages "$TMP/tiles" >"$TMP/tile-msgs"
expect_eq "$(wc -l <"$TMP/tile-msgs")" "$n" "one tile per pair of frames"
expect_eq "$(awk '{print $2}' "$TMP/tile-msgs" | sort -u)" "driver" "the tile's camera is --name"
expect_eq "$(awk '{print $3}' "$TMP/tile-msgs" | tr '\n' ' ')" "0 1 2 3 4 5 " "tiles are numbered from 0"
expect_eq "$(awk '{print $5, $6, $7}' "$TMP/tile-msgs" | sort -u)" "640x240 bgr8 460800" "tiles are --size, bgr8"
# t_capture: the older of the two frames in it
paste <(messages "$TMP/left" | awk '{print $4}') <(messages "$TMP/right" | awk '{print $4}') |
  awk '{print ($1 < $2 ? $1 : $2)}' >"$TMP/expected-t"
expect_eq "$(awk '{print $4}' "$TMP/tile-msgs" | tr '\n' ' ')" "$(tr '\n' ' ' <"$TMP/expected-t")" "a tile's t_capture is its oldest frame's"
# Each half is its camera's frame, scaled to 320x240 (ffmpeg scales the reference).
for i in 0 5; do
  frame_png "$TMP/tiles" $i "$TMP/tile.png"
  for side in left right; do
    frame_png "$TMP/$side" $i "$TMP/src.png"
    ffmpeg -v error -y -i "$TMP/src.png" -vf scale=320:240:flags=area "$TMP/ref.png"
    x=0; [ $side = right ] && x=320
    ffmpeg -v error -y -i "$TMP/tile.png" -vf "crop=320:240:$x:0" "$TMP/half.png"
    read -r far mean < <(image_diff "$TMP/half.png" "$TMP/ref.png")
    awk -v f="$far" -v m="$mean" 'BEGIN { exit !(f < 0.5 && m < 3) }' || fail "tile $i, $side half: $far% far, mean $mean"
    ok "tile $i: the $side half is the $side camera's frame $i ($far% far, mean $mean)"
  done
done

# Without --size, each cell is the size of the first frame: 1280x480 for two 640x480 cameras.
interleave "$TMP/left" "$TMP/right" | overlay --max-wait 0 --hud none --tile left,right >"$TMP/tiles-big"
expect_eq "$(messages "$TMP/tiles-big" | awk '{print $2, $5}' | sort -u)" "tile 1280x480" "default: cells of the frames' size, camera 'tile'"

# Texts and the map are drawn on each tile, not piled up on the next: with the right camera stalled
# after one frame (the map lies on its cell), tiles of an unchanging left camera are all the same.
cap --file "$GOLDEN/overlay-input-320x240.png" --loop --count 4 --fmt bgr8 --name left >"$TMP/still-left"
cap --file "$GOLDEN/overlay-input-320x240.png" --count 1 --fmt bgr8 --name right >"$TMP/still-right"
interleave "$TMP/still-left" "$TMP/still-right" |
  overlay --max-wait 0 --hud none --text 'same text' --field 2024-crescendo --tile left,right >"$TMP/still-tiles"
expect_eq "$(messages "$TMP/still-tiles" | wc -l)" "4" "four tiles: one per frame of the camera still running"
for i in 1 3; do frame_raw "$TMP/still-tiles" $i "$TMP/still-$i" >/dev/null; done
cmp -s "$TMP/still-1" "$TMP/still-3" || fail "the text box and map piled up from tile to tile"
ok "texts and the map do not pile up from tile to tile"

# A camera outside the tile goes through as itself, in order.
cap --test-pattern --fps 0 --count 2 --size 320x240 --name other >"$TMP/other"
{ cat "$TMP/other"; interleave "$TMP/left" "$TMP/right"; } | overlay --max-wait 0 --hud none --tile left,right >"$TMP/mixed"
expect_eq "$(messages "$TMP/mixed" | awk '{print $2}' | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')" "2 other 6 tile " \
  "other cameras pass through"

# Live: the right camera stops after 5 frames (unplugged); the tile goes on with the left camera, the
# right cell dimmed once its last frame is over a second older than the left's.
mkfifo "$TMP/right.fifo"
cap --test-pattern --fps 15 --count 5 --size 320x240 --name right --seed 2 >"$TMP/right.fifo" &
PIDS+=($!)
cap --test-pattern --fps 15 --count 40 --size 320x240 --name left |
  overlay -v --hud none --in "$TMP/right.fifo" --tile left,right --name driver >"$TMP/live" 2>"$TMP/live.err"
messages "$TMP/live" >"$TMP/live-msgs"
tiles=$(wc -l <"$TMP/live-msgs")
(( tiles >= 35 )) || fail "live: only $tiles tiles for 40 frames of the left camera: $(cat "$TMP/live.err")"
ok "live: $tiles tiles: the tile goes on without the right camera"
expect_eq "$(awk '{print $2, $5}' "$TMP/live-msgs" | sort -u)" "driver 640x240" "live: every tile 640x240"
bright() { ffmpeg -v error -i "$1" -vf "crop=320:240:320:0,scale=1:1:flags=area" -f rawvideo -pix_fmt gray - | od -An -tu1 | tr -d ' '; }
# The right camera's cell while it was running: the 10 tiles from its first frame (black before it;
# a loaded machine may deliver that frame some tiles late).
b0=0 seen=0
for ((i = 0; i < tiles - 1 && seen < 10; i++)); do
  frame_png "$TMP/live" $i "$TMP/t.png"
  b=$(bright "$TMP/t.png")
  (( b > 0 || seen > 0 )) && seen=$((seen + 1))
  (( b > b0 )) && b0=$b
done
frame_png "$TMP/live" $((tiles - 1)) "$TMP/last.png"
b1=$(bright "$TMP/last.png")
(( b0 > 80 && b1 > 10 && b1 * 2 < b0 )) || fail "live: the stopped camera's cell is not dimmed (brightness $b0 -> $b1)"
ok "live: the stopped camera's cell is dimmed (mean brightness $b0 -> $b1) and marked"
done_testing
