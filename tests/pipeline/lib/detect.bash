# Helpers for the detect pipeline tests (sourced, not a test itself).
# Frames are made from image files with ffprobe/ffmpeg, the real peers, until cap is available.
set -euo pipefail

: "${RVKIT_BIN:?RVKIT_BIN must point at the built tools}"
: "${RVKIT_TESTDATA:?RVKIT_TESTDATA must point at ../shared/testdata}"
if [ ! -d "$RVKIT_TESTDATA/photonvision" ] || [ ! -d "$RVKIT_TESTDATA/apriltag-reference" ]; then
  echo "FAIL: test data missing under $RVKIT_TESTDATA (../shared/testdata must be beside the checkout)" >&2
  exit 1
fi
DETECT="$RVKIT_BIN/detect"
TD="$RVKIT_TESTDATA"
WORK=$(mktemp -d /tmp/rvkit-detect-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# image_size FILE -> "W H"
image_size() {
  ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$1" | tr ',' ' '
}

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

# stream_summary FILE: one line per message, "frame SEQ BYTES" or the record's JSON (node parses the
# framing: a JSON line, then "bytes" bytes of payload).
stream_summary() {
  node -e '
    const fs = require("fs");
    const b = fs.readFileSync(process.argv[1]);
    let i = 0;
    while (i < b.length) {
      const nl = b.indexOf(10, i);
      if (nl < 0) { console.log("TRUNCATED"); break; }
      const h = JSON.parse(b.subarray(i, nl).toString());
      i = nl + 1;
      if (h.bytes !== undefined) i += h.bytes;
      if (i > b.length) { console.log("TRUNCATED"); break; }
      console.log(h.type === "frame" ? `frame ${h.seq} ${h.bytes}` : JSON.stringify(h));
    }' "$1"
}

# expect_error DESCRIPTION EXPECTED_STATUS PATTERN -- COMMAND...: runs COMMAND (stdin from /dev/null
# unless redirected by the caller), checks its status and that stderr is one line matching PATTERN.
expect_error() {
  local what=$1 status=$2 pattern=$3
  shift 4
  local rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" -eq "$status" ] || fail "$what: exit status $rc, expected $status (stderr: $(cat "$WORK/err"))"
  [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "$what: expected one line on stderr, got: $(cat "$WORK/err")"
  grep -Eq -- "$pattern" "$WORK/err" || fail "$what: stderr '$(cat "$WORK/err")' does not match /$pattern/"
  pass "$what: $(cat "$WORK/err")"
}
