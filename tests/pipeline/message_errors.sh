# Malformed streams: every tool reader gives one clear line, status 1, and never hangs or crashes.
source "$(dirname "$0")/lib/common.bash"

good='{"type":"frame","cam":"c","seq":0,"t_capture":1,"w":2,"h":2,"fmt":"gray8","stride":2,"bytes":4}'
second=$(( ${#good} + 1 + 4 ))  # byte offset of the second message

# run_bad NAME EXPECTED_REGEX: feeds stdin of this function to probe.
run_bad() {
  local name=$1 re=$2 err rc
  set +e
  err=$(timeout 10 probe 2>&1 >/dev/null); rc=$?
  set -e
  expect_eq "$rc" 1 "$name: exit status"
  expect_eq "$(wc -l <<<"$err")" 1 "$name: one line"
  expect_match "$err" "$re" "$name: message"
}

run_bad "truncated payload" \
  "^probe: stdin: message 2 at byte $second: truncated: the stream ended 2 bytes into a 4-byte payload$" \
  < <({ echo "$good"; printf 'abcd'; echo "$good"; printf 'ab'; })
run_bad "truncated header" "message 2 at byte $second: truncated" < <({ echo "$good"; printf 'abcd{"type":"fra'; })
run_bad "binary garbage" "message 1 at byte 0: header is longer than 65536 bytes" < <(head -c 300000 /dev/urandom | tr -d '\n')
run_bad "text garbage" "message 1 at byte 0: bad JSON" < <(printf 'hello world\n')
run_bad "huge size" "field 'bytes': 99999999999 exceeds the maximum payload size 67108864" < <(echo '{"type":"frame","cam":"c","seq":0,"t_capture":1,"w":2,"h":2,"fmt":"jpeg","bytes":99999999999}')
run_bad "size mismatch" "field 'bytes': 40 does not match stride\*h = 12\*4 = 48" < <(echo '{"type":"frame","cam":"c","seq":0,"t_capture":1,"w":4,"h":4,"fmt":"bgr8","stride":12,"bytes":40}')
run_bad "bad JSON" "message 1 at byte 0: bad JSON: parse error" < <(echo '{"type":"detections","tags":[1,2}')
run_bad "missing field" "field 'seq': missing" < <(echo '{"type":"frame","cam":"c","t_capture":1,"w":2,"h":2,"fmt":"gray8","stride":2,"bytes":4}')
run_bad "missing type" "field 'type': missing" < <(echo '{"cam":"c"}')

# --max-bytes lowers the limit.
set +e
err=$( { echo "$good"; printf abcd; } | probe --max-bytes 3 2>&1 >/dev/null); rc=$?
set -e
expect_eq "$rc" 1 "--max-bytes: exit status"
expect_match "$err" "exceeds the maximum payload size 3" "--max-bytes: message"

# The same reader guards cap's replay of a recorded stream.
{ echo "$good"; printf 'ab'; } > "$TMP/cut.rvk"
set +e
err=$(cap --file "$TMP/cut.rvk" 2>&1 >/dev/null); rc=$?
set -e
expect_eq "$rc" 1 "cap replay of a cut recording: exit status"
expect_match "$err" "^cap: .*cut.rvk: message 1 at byte 0: truncated" "cap replay of a cut recording: message"

# Bad options: status 2 and a pointer to --help.
set +e
err=$(cap --cam 0 --file x 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "conflicting sources: exit status"
expect_match "$err" "see --help" "conflicting sources: message"
set +e
err=$(cap --test-pattern --fmt rgb 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "unknown --fmt: exit status"
done_testing
