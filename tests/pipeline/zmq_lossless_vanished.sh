# A subscriber whose publisher vanished (kill -9, no eos) says so in one line and waits for it, for a
# live publisher and for a lossless one alike (docs/protocol.md "The end of a stream"); a publisher
# that comes back is read to its end.
source "$(dirname "$0")/lib/common.bash"

cap --test-pattern --size 320x240 --count 200 --fps 0 > "$TMP/f.rvs"
gone_line="the publisher went away without an end of stream after [0-9]+ messages; waiting for it"

# check_vanished WHAT PUBLISHER-ARGS...: a subscriber, a publisher killed mid-stream, then a new one.
check_vanished() {
  local what=$1 port sub pub
  shift
  port=$(free_port)
  probe --in "tcp://127.0.0.1:$port" --delay 10 > "$TMP/sub.out" 2> "$TMP/sub.err" &
  sub=$!; PIDS+=($sub)
  wait_sigint_handlers $sub
  cap "$@" --out "tcp://*:$port" 2>/dev/null &
  pub=$!; PIDS+=($pub)
  wait_for_line "$TMP/sub.out" '"type":"frame"' 20
  kill -9 $pub
  wait_for_line "$TMP/sub.err" "^probe: tcp://127.0.0.1:$port: $gone_line\$" 20
  ok "$what: the subscriber said its publisher went away: $(cat "$TMP/sub.err")"
  gone $sub && fail "$what: the subscriber ended instead of waiting"
  ok "$what: the subscriber waits for its publisher"
  timeout 60 cap --test-pattern --size 320x240 --fps 0 --count 5 --out "tcp://*:$port" 2>/dev/null ||
    fail "$what: the second publisher failed"
  wait_gone $sub 20
  wait $sub || fail "$what: the subscriber failed: $(cat "$TMP/sub.err")"
  expect_eq "$(grep -c . "$TMP/sub.err")" 1 "$what: the subscriber said it once"
  expect_eq "$(tail -n 1 "$TMP/sub.out" | jq -r .seq)" 4 "$what: the publisher that came back is read to its eos"
}
check_vanished "live" --test-pattern --size 320x240 --fps 30
check_vanished "lossless" --file "$TMP/f.rvs"

done_testing
