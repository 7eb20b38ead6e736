#!/usr/bin/env bash
# rec through pipes and FIFOs (docs/rec.md): frames and records from several inputs into one file, in
# arrival order with t_rec; the file is a plain stream that probe, detect and cap --file read; --fmt
# jpeg; SIGKILL mid-write leaves a file readable to its last whole message and --repair cuts the
# rest; a file-size limit (ulimit -f) is one clear line and a whole file (a real full disk, a small
# tmpfs: rec_full_disk.sh); bad options.
source "$(dirname "$0")/lib/common.bash"

summary() { jq -c 'select(.type == "summary" and .cam) | [.cam, .messages, .first_seq, .last_seq, .dropped, .fmt]' "$1"; }

# 1. A live test pattern on a pipe and records on a FIFO, into one recording.
mkfifo "$TMP/records"
(for i in 1 2 3 4 5; do echo "{\"type\":\"note\",\"i\":$i}"; sleep 0.1; done) >"$TMP/records" &
cap --test-pattern --size 160x120 --fps 30 --count 45 2>"$TMP/cap.err" |
  rec --in - --in "$TMP/records" --out "$TMP/a.rvs" -v 2>"$TMP/rec.err" || fail "rec: $(cat "$TMP/rec.err")"
ok "rec ended with its inputs"
probe --in "$TMP/a.rvs" --summary -q >"$TMP/a.sum" || fail "probe cannot read the recording"
# rec keeps every frame it is given; a live cap may skip one on a loaded machine (its seq then jumps:
# freshest frame first, as CI once saw), so the frames are counted, not their seq range.
expect_eq "$(jq -c 'select(.type == "summary" and .cam) | [.cam, .messages, .first_seq, .fmt]' "$TMP/a.sum")" '["test",45,0,"bgr8"]' \
  "every frame recorded, none dropped by rec"
expect_eq "$(probe --in "$TMP/a.rvs" | jq -s '[.[] | select(.type == "frame") | .seq] as $s | $s == ($s | sort) and ($s | unique | length) == 45')" \
  "true" "frames in order, each once"
expect_eq "$(probe --in "$TMP/a.rvs" | jq -r 'select(.type == "note") | .i' | tr -d '\n')" "12345" "every record recorded, in order"
expect_eq "$(probe --in "$TMP/a.rvs" | jq -s '[.[] | .t_rec | type == "number"] | all')" "true" "every message has its arrival time t_rec"
expect_eq "$(probe --in "$TMP/a.rvs" | jq -s '[.[].t_rec] as $t | $t == ($t | sort)')" "true" "messages are in arrival order"
expect_eq "$(probe --in "$TMP/a.rvs" | jq -s '[.[] | select(.type == "frame") | .t_rec >= .t_capture] | all')" "true" \
  "a frame arrived after its capture"
expect_match "$(cat "$TMP/rec.err")" "done: 50 messages \(45 frames, 5 records\)" "rec -v says what it wrote"

# 2. The recording is a plain stream: detect and cap --file read it.
detect --in "$TMP/a.rvs" 2>"$TMP/detect.err" | jq -c 'select(.type == "detections") | .seq' >"$TMP/det.seq" ||
  fail "detect cannot read the recording: $(cat "$TMP/detect.err")"
expect_eq "$(wc -l <"$TMP/det.seq")" 45 "detect reads every recorded frame"
cap --file "$TMP/a.rvs" 2>"$TMP/replay.err" | probe >"$TMP/replay.jsonl" || fail "cap --file: $(cat "$TMP/replay.err")"
expect_eq "$(md5sum <"$TMP/replay.jsonl")" "$(probe --in "$TMP/a.rvs" | md5sum)" "cap --file replays every message, frames and records, as recorded"

# 3. --fmt jpeg
cap --test-pattern --size 320x240 --fps 0 --count 20 | rec --out "$TMP/j.rvs" --fmt jpeg --quality 60 2>"$TMP/j.err" ||
  fail "rec --fmt jpeg: $(cat "$TMP/j.err")"
probe --in "$TMP/j.rvs" --summary -q >"$TMP/j.sum"
expect_eq "$(summary "$TMP/j.sum")" '["test",20,0,19,0,"jpeg"]' "--fmt jpeg stores every frame as JPEG"
expect_eq "$(jq -r 'select(.cam) | .max_bytes < 320*240*3/4' "$TMP/j.sum")" "true" "JPEG frames are smaller than a quarter of raw"
expect_eq "$(detect --in "$TMP/j.rvs" | jq -s '[.[] | select(.type == "detections")] | length')" 20 "detect reads the JPEG recording"

# 4. SIGKILL mid-write: readable up to the last whole message; --repair cuts the rest.
cap --test-pattern --size 640x480 --fps 0 2>/dev/null | rec --out "$TMP/k.rvs" 2>"$TMP/k.err" &
recpid=$!  # the last process of the pipeline
PIDS+=($recpid)
eventually 20 eval '[ "$(stat -c %s "$TMP/k.rvs" 2>/dev/null || echo 0)" -gt 20000000 ]' || fail "rec did not write: $(cat "$TMP/k.err")"
kill -KILL $recpid
wait $recpid || true
ok "rec killed with SIGKILL while writing"
# Whatever the kill left, lose the last 400000 bytes as a power loss would: a message is 921600 bytes of
# payload plus its header, so the file now certainly ends inside a payload. (Appending bytes instead
# made a flaky test: when the kill had left a partial payload, the appended bytes completed it and the
# reader then met pixels where a header belongs, a different, equally correct error.)
truncate -s $(( $(stat -c %s "$TMP/k.rvs") - 400000 )) "$TMP/k.rvs"
whole=$(probe --in "$TMP/k.rvs" 2>"$TMP/k.probe" | jq -s '[.[] | select(.type == "frame")] | length') || true
expect_match "$(cat "$TMP/k.probe")" "truncated" "a reader reads the cut-off file to its last whole message and says where it ends"
[ "${whole:-0}" -gt 10 ] || fail "only ${whole:-0} frames readable"
ok "$whole whole frames readable before the cut"
size=$(stat -c %s "$TMP/k.rvs")
rec --repair "$TMP/k.rvs" 2>"$TMP/repair.err" || fail "rec --repair: $(cat "$TMP/repair.err")"
expect_eq "$(wc -l <"$TMP/repair.err")" 1 "--repair says one line"
expect_match "$(cat "$TMP/repair.err")" "k.rvs: cut [0-9]+ bytes at byte [0-9]+ \(message $((whole + 1)): .*\); $whole whole messages" \
  "--repair says what it cut and where"
probe --in "$TMP/k.rvs" -q --summary >"$TMP/k.sum" || fail "the repaired file does not read cleanly"
expect_eq "$(summary "$TMP/k.sum")" "[\"test\",$whole,0,$((whole - 1)),0,\"bgr8\"]" "the repaired file holds every whole frame, in order"
[ "$(stat -c %s "$TMP/k.rvs")" -lt "$size" ] || fail "--repair did not shorten the file"
expect_match "$(rec --repair "$TMP/k.rvs" 2>&1)" "whole: $whole messages .*nothing cut" "a whole file is left as it is"

# 5. A file-size limit of 3 MB (ulimit -f, in KiB): a write error like a full disk's.
expect_fails 1 "rec: .*full.rvs: write failed after [0-9]+ bytes \([0-9]+ whole messages\): File too large" \
  "a full disk is one clear line, status 1" -- \
  bash -c "ulimit -f 3000; cap --test-pattern --size 320x240 --fps 0 --count 100 2>/dev/null | rec --out '$TMP/full.rvs'"
expect_match "$(rec --repair "$TMP/full.rvs" 2>&1)" "whole: [0-9]+ messages" "what was written before the disk filled is whole"
[ "$(stat -c %s "$TMP/full.rvs")" -le 3072000 ] || fail "the file is over the limit"
probe --in "$TMP/full.rvs" -q --summary >/dev/null || fail "the file of the full disk does not read cleanly"
ok "the file of the full disk reads cleanly"

# 6. Bad options and inputs.
expect_fails 2 "--out: required" "no --out" -- rec </dev/null
expect_fails 2 "--ring 'soon': expected a duration" "a bad --ring" -- rec --ring soon --out "$TMP/x.rvs"
expect_fails 2 "--trigger-topic: .*--ring" "--trigger-topic without a ring" -- rec --trigger-topic /x --out "$TMP/x.rvs"
expect_fails 2 "--size: .*--fmt" "--size without --fmt" -- rec --size 320x240 --out "$TMP/x.rvs"
expect_fails 1 "a.rvs: exists \\(--force replaces it\\)" "never overwrites without --force" -- rec --out "$TMP/a.rvs" </dev/null
expect_fails 1 "message 1 at byte 0" "a bad input is one line naming it" -- rec --out "$TMP/bad.rvs" < <(echo 'not json')
expect_fails 1 "nope.rvs: cannot read" "--repair of a missing file" -- rec --repair "$TMP/nope.rvs"
done_testing
