#!/usr/bin/env bash
# stream serves MJPEG that ffmpeg/ffprobe read: the right number of frames of the right size,
# cscore's resolution/compression parameters, and JPEG input passed through untouched.
source "$(dirname "$0")/lib/stream-common.bash"

# --- raw (bgr8) input, two cameras of different sizes
start_stream "--cam cam0@320x240 --cam side@160x96 --fps 30 --seconds 60" --quiet
wait_cameras 2

# ffprobe recognises the multipart stream (its mpjpeg demuxer, chosen from the Content-Type)
# and sees an MJPEG video of the camera's size on every stream URL form.
for path in "/stream.mjpg" "/?action=stream" "/cam0/stream.mjpg" "/?action=stream&cam=cam0"; do
  got=$(timeout 20 ffprobe -v error -select_streams v:0 -show_entries format=format_name:stream=codec_name,width,height \
        -of csv=p=0 "$BASE$path" | paste -sd,) || fail "ffprobe could not read $path"
  [ "$got" = "mjpeg,320,240,mpjpeg" ] || fail "ffprobe on $path: '$got', want mjpeg,320,240,mpjpeg"
done
got=$(timeout 20 ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$BASE/side/stream.mjpg")
[ "$got" = "160,96" ] || fail "ffprobe on /side/stream.mjpg: '$got', want 160,96"
pass "ffprobe reads every stream URL at the camera's size"

# ffmpeg decodes exactly N frames of the right size (raw gray bytes = N*W*H).
n=30
bytes=$(timeout 30 ffmpeg -v error -f mpjpeg -strict_mime_boundary 1 -i "$BASE/stream.mjpg" -frames:v $n \
        -f rawvideo -pix_fmt gray - | wc -c)
[ "$bytes" -eq $((n * 320 * 240)) ] || fail "ffmpeg decoded $bytes bytes, want $((n * 320 * 240)) ($n frames of 320x240)"
pass "ffmpeg decodes $n frames of 320x240"

# resolution=WxH (cscore), also with one side 0 (aspect ratio kept), and compression=Q.
bytes=$(timeout 30 ffmpeg -v error -i "$BASE/stream.mjpg?resolution=160x120&compression=30" -frames:v 10 \
        -f rawvideo -pix_fmt gray - | wc -c)
[ "$bytes" -eq $((10 * 160 * 120)) ] || fail "resolution=160x120: $bytes bytes, want $((10 * 160 * 120))"
got=$(timeout 20 ffprobe -v error -show_entries stream=width,height -of csv=p=0 \
      "$BASE/?action=stream&cam=cam0&resolution=64x0")
[ "$got" = "64,48" ] || fail "resolution=64x0 gave '$got', want 64,48"
pass "resolution=WxH and compression=Q"

# A lower compression (JPEG quality) gives smaller frames than a higher one.
small=$("$RVKIT_BIN/rvkit-mjpeg-client" "$BASE/stream.mjpg?compression=10" --frames 5 --seconds 20 | jq '.clients[0].bytes')
large=$("$RVKIT_BIN/rvkit-mjpeg-client" "$BASE/stream.mjpg?compression=95" --frames 5 --seconds 20 | jq '.clients[0].bytes')
[ "$small" -gt 0 ] && [ "$small" -lt "$large" ] || fail "compression=10 gave $small bytes, compression=95 $large bytes"
pass "compression=10 ($small bytes) < compression=95 ($large bytes)"
kill "$STREAM_PID"; wait "$STREAM_PID" || fail "stream did not end with status 0 on SIGTERM"

# --- JPEG input passes through untouched when nothing is changed
mkdir -p "$TMP/jpeg"
start_stream "--cam cam0@320x240 --fmt jpeg --fps 30 --seconds 60 --save $TMP/jpeg" --quiet
wait_cameras 1
curl -sf --max-time 10 -o "$TMP/snap.jpg" "$BASE/snapshot.jpg" || fail "no snapshot"
match=""
for f in "$TMP"/jpeg/cam0-*.jpeg; do cmp -s "$f" "$TMP/snap.jpg" && match=$f; done
[ -n "$match" ] || fail "the snapshot of JPEG input is not byte-identical to any input frame"
bytes=$(timeout 30 ffmpeg -v error -i "$BASE/stream.mjpg" -frames:v 20 -f rawvideo -pix_fmt gray - | wc -c)
[ "$bytes" -eq $((20 * 320 * 240)) ] || fail "ffmpeg decoded $bytes bytes of the JPEG stream"
encoded=$(curl -s "$BASE/state" | jq '.cameras[0].encoded')
[ "$encoded" = 0 ] || fail "JPEG input was re-encoded $encoded times although no client changed anything"
# ... and is re-encoded once a client asks for a change.
bytes=$(timeout 30 ffmpeg -v error -i "$BASE/stream.mjpg?resolution=80x60" -frames:v 5 -f rawvideo -pix_fmt gray - | wc -c)
[ "$bytes" -eq $((5 * 80 * 60)) ] || fail "resolution=80x60 on JPEG input: $bytes bytes"
pass "JPEG input passes through byte for byte (matches $(basename "$match")); resized on request"
