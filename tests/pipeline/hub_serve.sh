# hub serve: frames through the hub, a slow subscriber that slows nobody, a short-lived publisher
# that loses nothing, the cached camera record a late subscriber gets at once, the hub record, and
# bad addresses (docs/protocol.md, "The hub").
source "$(dirname "$0")/lib/hub_serve.bash"

start_hub "ipc://$TMP/hub"

# cap --out hub -> probe --in 'hub?topic=frame/'
probe --in 'hub?topic=frame/' > "$TMP/frames.jsonl" 2>"$TMP/probe.err" &
probe_pid=$!; PIDS+=($probe_pid)
cap --test-pattern --size 160x120 --out hub 2>"$TMP/cap.err" &
cap_pid=$!; PIDS+=($cap_pid)
wait_for_line "$TMP/frames.jsonl" '"type":"frame","cam":"test"' 10
ok "cap --test-pattern --out hub reaches probe --in 'hub?topic=frame/'"
wait_hub 5 '.topics[] | select(.topic == "frame/test/" and .msgs_per_s > 5 and .subscribers == 1)' \
  "the hub record counts the camera's frames and its one subscriber"
expect_eq "$(hub_last_report | jq '.publishers')" 1 "the hub counts one live publisher connection"
kill $cap_pid $probe_pid; wait_gone $cap_pid 5; wait_gone $probe_pid 5
wait_hub 5 "$(subscriptions frame/) == 0" "the subscriber's subscriptions go when it does"

# A slow subscriber does not slow the publisher or another subscriber.
mkfifo "$TMP/stuck"
exec 4<>"$TMP/stuck"
probe --in 'hub?topic=frame/fast/' --pass > "$TMP/stuck" 2>/dev/null &  # its output is never read
stuck=$!; PIDS+=($stuck)
probe --in 'hub?topic=frame/fast/' --summary -q > "$TMP/fast.json" 2>"$TMP/fast.err" &
fast=$!; PIDS+=($fast)
wait_hub 10 "$(subscriptions frame/fast/) == 2" "both subscribers are subscribed"
start=$(date +%s%N)
timeout 60 cap --test-pattern --name fast --size 320x240 --fps 100 --count 300 --out hub 2>"$TMP/cap.err" ||
  fail "cap --fps 100 --count 300 --out hub: $(cat "$TMP/cap.err")"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt 20000 ] || fail "the publisher took $elapsed_ms ms for 3 s of frames"
ok "the publisher sent its 300 frames at 100 fps in $elapsed_ms ms despite a stalled subscriber"
# A live publisher's end does not end the subscribers of the shared hub (docs/protocol.md, "The end
# of a stream"): under hub run its stage is restarted. The fast one is still there; SIGINT ends it
# with its summary.
sleep 1
kill -0 $fast 2>/dev/null || fail "a live publisher's end ended a hub subscriber: $(cat "$TMP/fast.err")"
ok "a live publisher's end leaves the hub's subscribers waiting"
kill -INT $fast
wait_gone $fast 10
n=$(jq -r .messages "$TMP/fast.json")
[ "${n:-0}" -ge 200 ] || fail "the fast subscriber received only ${n:-0} of 300 frames: $(cat "$TMP/fast.json" "$TMP/fast.err")"
ok "the fast subscriber received $n of 300 frames"
# (a live source drops frames while it waits for its connection: seq may start above 0)
expect_match "$(jq -r '"\(.cam) \(.last_seq)"' "$TMP/fast.json")" "^fast (299|[3-9][0-9]{2})$" "the fast subscriber got the stream to its end"
kill -0 $stuck 2>/dev/null || fail "the stalled subscriber exited early"
kill $stuck; wait_gone $stuck 5
exec 4<&-

# A short-lived publisher loses nothing it sends: its first frame does not go by before its
# connection to the hub is up.
probe --in 'hub?topic=frame/short/' > "$TMP/short.jsonl" 2>"$TMP/short.err" &
short=$!; PIDS+=($short)
wait_hub 10 "$(subscriptions frame/short/) == 1" "the short-lived publisher's subscriber is subscribed"
timeout 20 cap --test-pattern --name short --count 3 --fps 0 --out hub 2>"$TMP/cap.err" ||
  fail "cap --count 3 --out hub: $(cat "$TMP/cap.err")"
wait_gone $short 10  # ended at the publisher's eos
expect_eq "$(jq -r 'select(.type == "frame") | .seq' "$TMP/short.jsonl" | tr '\n' ' ')" "0 1 2 " \
  "a publisher of 3 frames that exits at once: all 3 arrive, then its eos ends the subscriber"

# The cached camera record: a subscriber that joins after it was published gets it at once.
echo '{"type":"camera","cam":"front","urls":["http://10.12.34.11:1181/?action=stream&cam=front"],"fps":30.0}' |
  timeout 20 probe --pass -q --out hub
wait_hub 5 '.topics[] | select(.topic == "camera/front/" and .messages == 1)' "the hub forwarded the camera record"
probe --in 'hub?topic=camera/' > "$TMP/late.jsonl" 2>"$TMP/late.err" &
late=$!; PIDS+=($late)
wait_for_line "$TMP/late.jsonl" '"type":"camera","cam":"front"' 5
ok "a late subscriber gets the cached camera record at once"
expect_eq "$(grep -c '"type":"camera"' "$TMP/late.jsonl")" 1 "it gets it once"
kill $late; wait_gone $late 5

# probe --in 'hub?topic=hub/' shows the hub record.
probe --in 'hub?topic=hub/' > "$TMP/hub.jsonl" 2>"$TMP/hubprobe.err" &
hp=$!; PIDS+=($hp)
wait_for_line "$TMP/hub.jsonl" '"type":"hub"' 5
ok "probe --in 'hub?topic=hub/' shows the hub record"
# (the first may be the cached one of up to a second ago, from before the camera record)
wait_for_line "$TMP/hub.jsonl" '"topic":"camera/front/"' 5
kill $hp; wait_gone $hp 5
record=$(grep '"topic":"camera/front/"' "$TMP/hub.jsonl" | tail -n 1)
expect_eq "$(jq -r '[.topics[].topic | select(startswith("eos/") | not)] | join(" ")' <<<"$record")" \
  "camera/front/ frame/fast/ frame/short/ frame/test/ hub/" "the hub record lists every topic seen, by topic"
expect_match "$(jq -c '.topics[] | select(.topic == "frame/fast/") | [.messages, .age_ms >= 0]' <<<"$record")" \
  '^\[[0-9]+,true\]$' "per topic: messages and the age of the last one"
expect_eq "$(jq -r '.topics[] | select(.topic == "camera/front/") | .messages' <<<"$record")" 1 "the camera topic's one message"

# SIGTERM: status 0, and the unix sockets are gone.
kill -TERM "$HUB_PID"
rc=0; wait "$HUB_PID" || rc=$?
expect_eq "$rc" 0 "hub serve ends with status 0 on SIGTERM"
expect_eq "$(ls "$TMP/hub")" "" "its unix sockets are removed"

# A tcp hub binds the ipc equivalents too: a publisher on tcp reaches a subscriber on ipc.
port=$(free_port)
mkdir -m 700 "$TMP/run"
XDG_RUNTIME_DIR=$TMP/run hub serve --hub "tcp://127.0.0.1:$port" -v 2>"$TMP/tcp-hub.err" &
tcp_hub=$!; PIDS+=($tcp_hub)
ipc=$TMP/run/rvkit-hub-$port
eventually 10 eval '[ -S "$ipc/subscribe" ]' || fail "no unix sockets in $ipc: $(cat "$TMP/tcp-hub.err")"
expect_eq "$(cd "$ipc" && ls | tr '\n' ' ')" "lossless publish subscribe subscribe-lossless " "the four unix sockets in \$XDG_RUNTIME_DIR/rvkit-hub-PORT"
probe --hub "ipc://$ipc" --in 'hub?topic=frame/both/' > "$TMP/both.jsonl" 2>"$TMP/both.err" &
both=$!; PIDS+=($both)
eventually 10 eval "ss -xH | grep -q '$ipc/subscribe-lossless'" || fail "the ipc subscriber did not connect"
timeout 20 cap --hub "tcp://127.0.0.1:$port" --test-pattern --name both --size 160x120 --count 3 --fps 0 --out hub 2>"$TMP/cap.err" ||
  fail "cap --out hub over tcp: $(cat "$TMP/cap.err")"
wait_gone $both 10
expect_eq "$(jq -r 'select(.type == "frame") | .seq' "$TMP/both.jsonl" | tr '\n' ' ')" "0 1 2 " \
  "frames published on tcp reach a subscriber on the ipc endpoints"
kill $tcp_hub; wait_gone $tcp_hub 5

# Bad addresses: one line, status 2.
expect_fails 2 "^hub: .*--bind.*tcp://0.0.0.0.*\(see --help\)$" "hub serve --bind with an endpoint" -- env -u RVKIT_HUB hub serve --bind tcp://0.0.0.0
expect_fails 2 "^hub: .*--bind.*5550.*\(see --help\)$" "hub serve --bind with a port" -- env -u RVKIT_HUB hub serve --bind 0.0.0.0:5550
expect_fails 2 "^hub: .*--hub.*udp://x.*unknown scheme.*\(see --help\)$" "hub serve --hub with a bad scheme" -- hub serve --hub udp://x
expect_fails 2 "^hub: .*--bind.*ipc" "hub serve --bind with an ipc hub" -- hub serve --hub "ipc://$TMP/other" --bind 0.0.0.0
expect_fails 2 "^probe: --hub.*tcp://host:0.*port.*\(see --help\)$" "a tool's --hub with a bad port" -- probe --hub tcp://host:0 --in hub
expect_fails 2 "^probe: RVKIT_HUB: hub address 'nonsense'.*\(see --help\)$" "a bad RVKIT_HUB" -- env RVKIT_HUB=nonsense probe --in hub
expect_fails 2 "^hub: --report-fd 9: not an open file descriptor" "hub serve --report-fd of a closed fd" -- hub serve --hub "ipc://$TMP/other" --report-fd 9
# A hub already on those ports: the second cannot bind (not a bad command line: status 1).
port=$(free_port)
hub serve --hub "tcp://127.0.0.1:$port" --no-ipc 2>"$TMP/first.err" &
first=$!; PIDS+=($first)
eventually 10 eval "ss -ltn | grep -q ':$port '" || fail "the first tcp hub does not listen on $port"
expect_fails 1 "^hub: publish endpoint tcp://127.0.0.1:$port: cannot bind: Address already in use$" \
  "a second hub on the same port" -- hub serve --hub "tcp://127.0.0.1:$port" --no-ipc
kill $first; wait_gone $first 5
done_testing
