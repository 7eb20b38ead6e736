# Helpers for the detect pipeline tests (sourced, not a test itself), on top of common.bash: $DETECT,
# $TD (../shared/testdata, which these tests need), and frames made from image files with ffmpeg.
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
need_testdata photonvision apriltag-reference
DETECT="$RVKIT_BIN/detect"
TD="$RVKIT_TESTDATA"

# jpeg_frame FILE SEQ [CAM] [T_CAPTURE]: one jpeg frame message holding the file's bytes.
jpeg_frame() {
  local f=$1 seq=$2 cam=${3:-cam0} t=${4:-$(( $(date +%s%N) / 1000 ))}
  local n w h
  n=$(stat -c %s "$f")
  read -r w h < <(image_size "$f")
  printf '{"type":"frame","cam":"%s","seq":%d,"t_capture":%d,"w":%d,"h":%d,"fmt":"jpeg","bytes":%d}\n' \
    "$cam" "$seq" "$t" "$w" "$h" "$n"
  cat "$f"
}

# raw_frame FILE SEQ FMT [CAM]: one gray8 or bgr8 frame decoded by ffmpeg.
raw_frame() {
  local f=$1 seq=$2 fmt=$3 cam=${4:-cam0}
  local w h pix ch
  read -r w h < <(image_size "$f")
  if [ "$fmt" = gray8 ]; then pix=gray; ch=1; else pix=bgr24; ch=3; fi
  printf '{"type":"frame","cam":"%s","seq":%d,"t_capture":%d,"w":%d,"h":%d,"fmt":"%s","stride":%d,"bytes":%d}\n' \
    "$cam" "$seq" "$(( $(date +%s%N) / 1000 ))" "$w" "$h" "$fmt" $((w * ch)) $((w * h * ch))
  ffmpeg -v error -i "$f" -f rawvideo -pix_fmt "$pix" -
}
