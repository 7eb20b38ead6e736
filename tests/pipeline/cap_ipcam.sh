# IP cameras: cap reads MJPEG over HTTP served by ffmpeg, and reconnects when the camera restarts.
source "$(dirname "$0")/lib/common.bash"
port=$(free_port)
url="http://127.0.0.1:$port/stream.mjpg"

# serve SECONDS: an MJPEG-over-HTTP camera (ffmpeg's HTTP server) for one client.
serve() {
  ffmpeg -loglevel error -re -f lavfi -i "testsrc=size=320x240:rate=30" -t "$1" -c:v mjpeg -q:v 5 \
    -f mpjpeg -listen 1 "$url" 2>/dev/null &
  PIDS+=($!)
}

serve 10
s=$(timeout 20 cap --url "$url" --count 30 | probe --summary -q)
expect_eq "$(jq -r '"\(.messages) \(.cam) \(.w)x\(.h) \(.fmt)"' <<<"$s")" "30 ipcam 320x240 bgr8" "reads an MJPEG-over-HTTP camera"
kill "${PIDS[-1]}" 2>/dev/null || true
wait_gone "${PIDS[-1]}" 10  # so that the next camera can listen on the port

# The camera goes away after ~2 s and comes back: cap says so, retries, and goes on.
serve 2
cap --url "$url" --count 120 -v 2> "$TMP/err.txt" | probe --summary -q > "$TMP/sum.json" &
capp=$!
PIDS+=($capp)
wait_for_line "$TMP/err.txt" "lost \(unplugged" 20  # the camera went away; now it comes back
serve 10
wait_gone $capp 25
expect_eq "$(jq -r .messages "$TMP/sum.json")" 120 "all frames arrive across a camera restart"
expect_match "$(cat "$TMP/err.txt")" "lost \(unplugged, or no frame within the timeout\); retrying" "the loss is reported"
expect_match "$(cat "$TMP/err.txt")" "connected again \(320x240" "the reconnection is reported"

# Nothing listening: retry lines, and SIGTERM ends it promptly and quietly.
cap --url "http://127.0.0.1:$(free_port)/x.mjpg" > /dev/null 2> "$TMP/none.txt" &
nonep=$!
PIDS+=($nonep)
wait_for_line "$TMP/none.txt" "retrying" 10
kill -TERM $nonep
wait_gone $nonep 6
expect_match "$(head -n 1 "$TMP/none.txt")" "^cap: http://127.0.0.1:[0-9]+/x.mjpg: cannot open: no answer, or not a video stream FFmpeg can read; retrying in 0.5 s$" "an unreachable camera: a clear line"
done_testing
