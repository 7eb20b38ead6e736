# cap reads videos written by ffmpeg, images, globs, directories and recorded rvkit streams.
source "$(dirname "$0")/lib/common.bash"

ffmpeg -loglevel error -f lavfi -i testsrc=size=320x240:rate=25 -frames:v 37 -pix_fmt yuv420p "$TMP/clip.mp4"
ffmpeg -loglevel error -f lavfi -i testsrc=size=160x120:rate=10 -frames:v 12 -c:v mjpeg "$TMP/clip.avi"

s=$(cap --file "$TMP/clip.mp4" | probe --summary -q)
expect_eq "$(jq -r .messages <<<"$s")" 37 "mp4 frame count"
expect_eq "$(jq -r '"\(.w)x\(.h) \(.fmt) \(.dropped)"' <<<"$s")" "320x240 bgr8 0" "mp4 size, format, no drops"

s=$(cap --file "$TMP/clip.avi" --fmt gray8 | probe --summary -q)
expect_eq "$(jq -r '"\(.messages) \(.w)x\(.h) \(.fmt)"' <<<"$s")" "12 160x120 gray8" "MJPEG avi as gray8"

s=$(cap --file "$TMP/clip.avi" --loop --count 30 --fmt jpeg | probe --summary -q)
expect_eq "$(jq -r '"\(.messages) \(.fmt) \(.last_seq)"' <<<"$s")" "30 jpeg 29" "--loop runs past the end, --count stops"

s=$(cap --file "$TMP/clip.mp4" --size 64x48 --count 3 | probe --summary -q)
expect_eq "$(jq -r '"\(.w)x\(.h) \(.bytes // .mean_bytes)"' <<<"$s")" "64x48 9216" "--size resizes file frames"

mkdir "$TMP/imgs"
for i in 1 2 3; do ffmpeg -loglevel error -f lavfi -i testsrc=size=200x100 -frames:v 1 "$TMP/imgs/img$i.png"; done
echo "not an image" > "$TMP/imgs/notes.txt"
expect_eq "$(cap --file "$TMP/imgs" | probe --summary -q | jq -r '"\(.messages) \(.w)x\(.h)"')" "3 200x100" "a directory of images"
expect_eq "$(cap --file "$TMP/imgs/img*.png" | probe -q --summary | jq -r .messages)" 3 "an image glob"
expect_eq "$(cap --file "$TMP/imgs/img2.png" | probe -q --summary | jq -r .messages)" 1 "a single image"
expect_eq "$(cap --file "$TMP/imgs/img2.png" | probe | jq -r .file)" "$TMP/imgs/img2.png" "image frames name their file"

# A recorded stream replays exactly: same headers, same payload bytes.
cap --file "$TMP/clip.avi" --fmt jpeg --name rec > "$TMP/rec.rvk"
cap --file "$TMP/rec.rvk" > "$TMP/replay.rvk"
cmp "$TMP/rec.rvk" "$TMP/replay.rvk" || fail "replaying a recorded stream changed it"
ok "recorded stream replays byte for byte"
expect_eq "$(cap --file "$TMP/rec.rvk" --name other | probe | jq -r .cam | sort -u)" other "--name renames a replay"
expect_eq "$(cap --file "$TMP/rec.rvk" --fmt bgr8 | probe --summary -q | jq -r '"\(.fmt) \(.messages)"')" "bgr8 12" "a replay converts with --fmt"

# --realtime paces a 10 fps file: 12 frames take about 1.1 s rather than milliseconds.
s=$(cap --file "$TMP/clip.avi" --realtime | probe --summary -q)
d=$(jq -r .duration_s <<<"$s")
awk -v d="$d" 'BEGIN { exit !(d > 0.8) }' || fail "--realtime did not pace frames (took $d s)"
ok "--realtime paces by the file's timing"

# Bad files: one clear line, status 1.
set +e
err=$(cap --file "$TMP/missing.mp4" 2>&1 >/dev/null); rc=$?
set -e
expect_eq "$rc" 1 "missing file exits 1"
expect_match "$err" "^cap: .*missing.mp4: No such file or directory$" "missing file message"
head -c 5000 /dev/urandom > "$TMP/garbage.mp4"
set +e
err=$(cap --file "$TMP/garbage.mp4" 2>&1 >/dev/null); rc=$?
set -e
expect_eq "$rc" 1 "garbage video exits 1"
expect_match "$err" "^cap: .*garbage.mp4: not a video" "garbage video message"
expect_eq "$(wc -l <<<"$err")" 1 "garbage video: one line"
done_testing
