#!/usr/bin/env bash
# stream serves MJPEG that ffmpeg/ffprobe read: the right number of frames of the right size,
# cscore's resolution/compression parameters, and JPEG input passed through untouched.
source "$(dirname "$0")/lib/stream.bash"

# --- raw (bgr8) input, two cameras of different sizes
start_stream "cam0@320x240 side@160x96" "--fps 30 --count 1800" --quiet
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
ok "ffprobe reads every stream URL at the camera's size"

# ffmpeg decodes exactly N frames of the right size (raw gray bytes = N*W*H).
n=30
bytes=$(timeout 30 ffmpeg -v error -f mpjpeg -strict_mime_boundary 1 -i "$BASE/stream.mjpg" -frames:v $n \
        -f rawvideo -pix_fmt gray - | wc -c)
[ "$bytes" -eq $((n * 320 * 240)) ] || fail "ffmpeg decoded $bytes bytes, want $((n * 320 * 240)) ($n frames of 320x240)"
ok "ffmpeg decodes $n frames of 320x240"

# resolution=WxH (cscore), also with one side 0 (aspect ratio kept), and compression=Q.
bytes=$(timeout 30 ffmpeg -v error -i "$BASE/stream.mjpg?resolution=160x120&compression=30" -frames:v 10 \
        -f rawvideo -pix_fmt gray - | wc -c)
[ "$bytes" -eq $((10 * 160 * 120)) ] || fail "resolution=160x120: $bytes bytes, want $((10 * 160 * 120))"
got=$(timeout 20 ffprobe -v error -show_entries stream=width,height -of csv=p=0 \
      "$BASE/?action=stream&cam=cam0&resolution=64x0")
[ "$got" = "64,48" ] || fail "resolution=64x0 gave '$got', want 64,48"
ok "resolution=WxH and compression=Q"

# A lower compression (JPEG quality) gives smaller frames than a higher one.
small=$("$HELPERS/rvkit-mjpeg-client" "$BASE/stream.mjpg?compression=10" --frames 5 --seconds 20 | jq '.clients[0].bytes')
large=$("$HELPERS/rvkit-mjpeg-client" "$BASE/stream.mjpg?compression=95" --frames 5 --seconds 20 | jq '.clients[0].bytes')
[ "$small" -gt 0 ] && [ "$small" -lt "$large" ] || fail "compression=10 gave $small bytes, compression=95 $large bytes"
ok "compression=10 ($small bytes) < compression=95 ($large bytes)"
stop_stream

# --- JPEG input passes through untouched when nothing is changed: the snapshot is byte for
# byte the payload of the input frame with the same capture time (found in a copy of the input).
STREAM_OUT=$TMP/stream.out; STREAM_ERR=$TMP/stream.err
cap --test-pattern --name cam0 --size 320x240 --fps 30 --count 1800 --fmt jpeg 2>>"$TMP/cap.err" | tee "$TMP/in.rvk" |
  stream --port 0 --bind 127.0.0.1 --quiet >"$STREAM_OUT" 2>"$STREAM_ERR" &
STREAM_PID=$!; PIDS+=("$STREAM_PID")
wait_port
wait_cameras 1
curl -sf --max-time 10 -D "$TMP/h" -o "$TMP/snap.jpg" "$BASE/snapshot.jpg" || fail "no snapshot"
us=$(sed -n 's/^X-Timestamp: \([0-9]*\)\.\([0-9]\{6\}\).*/\1\2/ip' "$TMP/h")
[ -n "$us" ] || fail "snapshot without X-Timestamp"
line=$(grep -a -b -o -m 1 "{\"type\":\"frame\",[^}]*\"t_capture\":$us,[^}]*}" "$TMP/in.rvk")
[ -n "$line" ] || fail "no input frame captured at $us"
offset=${line%%:*}; header=${line#*:}
n=$(jq .bytes <<<"$header")
dd if="$TMP/in.rvk" of="$TMP/input.jpg" iflag=skip_bytes,count_bytes skip=$((offset + ${#header} + 1)) count="$n" status=none
cmp -s "$TMP/input.jpg" "$TMP/snap.jpg" || fail "the snapshot of JPEG input differs from the input frame ($n bytes)"
bytes=$(timeout 30 ffmpeg -v error -i "$BASE/stream.mjpg" -frames:v 20 -f rawvideo -pix_fmt gray - | wc -c)
[ "$bytes" -eq $((20 * 320 * 240)) ] || fail "ffmpeg decoded $bytes bytes of the JPEG stream"
encoded=$(curl -s "$BASE/state" | jq '.cameras[0].encoded')
[ "$encoded" = 0 ] || fail "JPEG input was re-encoded $encoded times although no client changed anything"
# ... and is re-encoded once a client asks for a change.
bytes=$(timeout 30 ffmpeg -v error -i "$BASE/stream.mjpg?resolution=80x60" -frames:v 5 -f rawvideo -pix_fmt gray - | wc -c)
[ "$bytes" -eq $((5 * 80 * 60)) ] || fail "resolution=80x60 on JPEG input: $bytes bytes"
ok "JPEG input passes through byte for byte (frame at $us, $n bytes); resized on request"
kill "$STREAM_PID"; wait "$STREAM_PID" || true  # the job's status is tee's (SIGPIPE), not stream's
done_testing
