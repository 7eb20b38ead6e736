#!/usr/bin/env bash
# Frames without records flow through overlay at full rate (no frame waits for a record that is not
# coming); frames with records (detect --frames) are drawn with their own; a record for a camera
# overlay never sees changes nothing.
source "$(dirname "$0")/lib/overlay.bash"
command -v detect >/dev/null || fail "detect is not built"

# done_counts ERRFILE: the numbers of overlay -v's last line, as "in out matched notwaiting skipped timedout overflow"
done_counts() {
  grep 'done:' "$1" | sed -E 's/.*done: ([0-9]+) frames in, ([0-9]+) out; with their record ([0-9]+), not waiting ([0-9]+), record skipped ([0-9]+), timed out ([0-9]+), overflow ([0-9]+).*/\1 \2 \3 \4 \5 \6 \7/'
}

# A recorded stream without records, read as fast as overlay takes it, with a max-wait far longer
# than the whole run: no frame waits for it.
n=300
cap --test-pattern --fps 0 --count $n --size 320x240 >"$TMP/frames"
overlay -v --hud none --max-wait 600000 <"$TMP/frames" >"$TMP/out" 2>"$TMP/err"
read -r fin fout matched notwaiting skipped timedout overflow < <(done_counts "$TMP/err")
expect_eq "$fin $fout" "$n $n" "every frame in comes out"
expect_eq "$timedout" "0" "no frame waited out --max-wait"
(( notwaiting + overflow == n )) || fail "expected $n frames to go without waiting: $(grep done: "$TMP/err")"
ok "frames went straight through ($overflow released when they piled up at the start, $notwaiting not waiting)"
# With nothing to draw, frames leave exactly as they came (headers and pixels).
cmp -s "$TMP/frames" "$TMP/out" || fail "frames changed with nothing to draw"
ok "with nothing to draw, the stream is unchanged byte for byte"

# --max-wait 0: never a wait, not even at the start.
overlay -v --hud none --max-wait 0 <"$TMP/frames" >/dev/null 2>"$TMP/err0"
read -r fin fout matched notwaiting skipped timedout overflow < <(done_counts "$TMP/err0")
expect_eq "$notwaiting $timedout $overflow" "$n 0 0" "--max-wait 0: no frame waits"

# A live camera without records: at most the first frame waits (--max-wait, default 100 ms), once.
cap --test-pattern --fps 30 --count 60 --size 320x240 | overlay -v >"$TMP/live" 2>"$TMP/errl"
read -r fin fout matched notwaiting skipped timedout overflow < <(done_counts "$TMP/errl")
expect_eq "$fout" "$fin" "live: every frame overlay received came out"
(( timedout <= 1 && fin >= 30 )) || fail "live: $(grep done: "$TMP/errl")"
ok "live: $fout frames, $timedout timed out (the first, while overlay learns no records come)"
messages "$TMP/live" | awk '{print $3}' >"$TMP/seqs"
sort -n -c "$TMP/seqs" || fail "live: frames out of order"
ok "live: frames in order"

# Backpressure, not drops: behind a slow reader, a recorded source loses nothing...
cap --test-pattern --fps 0 --count 30 --size 320x240 | overlay -v 2>"$TMP/err-slow" | probe --delay 30 --summary -q >"$TMP/slow"
expect_eq "$(jq -r '"\(.messages) \(.dropped) \(.last_seq)"' "$TMP/slow")" "30 0 29" "a slow reader: every recorded frame arrives"
# ...and a live source drops frames itself (gaps in seq), while overlay drops none of what it reads.
cap --test-pattern --fps 30 --count 45 --size 320x240 | overlay -v 2>"$TMP/err-live-slow" |
  probe --delay 100 --summary -q >"$TMP/live-slow"
read -r fin fout matched notwaiting skipped timedout overflow < <(done_counts "$TMP/err-live-slow")
expect_eq "$fout" "$fin" "a slow reader: overlay writes every frame it reads"
expect_match "$(jq -r '"\(.messages) \(.dropped)"' "$TMP/live-slow")" "^$fout [1-9][0-9]*$" "...and the live source upstream dropped frames instead"

# detect --frames: each frame is followed by its record and drawn with it, without waiting.
cap --test-pattern --fps 0 --count 8 --size 320x240 | detect --frames >"$TMP/detected"
overlay -v --hud none --max-wait 600000 <"$TMP/detected" >"$TMP/drawn" 2>"$TMP/errd"
read -r fin fout matched notwaiting skipped timedout overflow < <(done_counts "$TMP/errd")
expect_eq "$fin $fout $matched $timedout" "8 8 8 0" "detect --frames: every frame drawn with its record"
node -e '
  const fs = require("fs");
  const frames = (f) => { const b = fs.readFileSync(f), out = []; let i = 0;
    while (i < b.length) { const nl = b.indexOf(10, i); const h = JSON.parse(b.subarray(i, nl)); const n = h.bytes || 0;
      if (h.type === "frame") out.push(b.subarray(nl + 1, nl + 1 + n)); i = nl + 1 + n; } return out; };
  const a = frames(process.argv[1]), b = frames(process.argv[2]);
  let same = 0; for (let k = 0; k < a.length; k++) if (Buffer.compare(a[k], b[k]) === 0) same++;
  process.exit(a.length === 8 && same === 0 ? 0 : 1);' "$TMP/detected" "$TMP/drawn" ||
  fail "detect --frames: some frames were left undrawn"
ok "detect --frames: every frame has tags drawn on it"
expect_eq "$(messages "$TMP/drawn" | awk '{print $1}' | sort -u)" "frame" "only frames come out (records are not passed on)"

# A record for a camera overlay never sees (here "ghost", with tags, before and between the frames)
# changes nothing: the output is byte-identical.
ghost='{"type":"detections","cam":"ghost","seq":3,"tags":[{"id":1,"corners":[[10,10],[90,10],[90,90],[10,90]]}]}'
{ echo "$ghost"; cat "$TMP/detected"; echo "$ghost"; } | overlay --hud none --max-wait 600000 >"$TMP/with-ghost"
overlay --hud none --max-wait 600000 <"$TMP/detected" >"$TMP/without-ghost"
cmp -s "$TMP/with-ghost" "$TMP/without-ghost" || fail "a record for an unknown camera changed the output"
ok "a record for an unknown camera is ignored"
done_testing
