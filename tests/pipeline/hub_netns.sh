# Two coprocessors share one hub over tcp (issue #11): the hub and a subscriber on one, a publisher on
# the other. Two ways on one machine: two network namespaces joined by a veth pair (needs root and
# `ip netns`; skipped with the reason printed when unavailable), and two loopback addresses
# (127.0.0.2 for the hub and its subscriber, 127.0.0.3 as the publisher's source address).
source "$(dirname "$0")/lib/common.bash"

# --- Two loopback addresses.
port=$(free_port)
hub serve --hub "tcp://127.0.0.2:$port" --no-ipc 2>"$TMP/lo-hub.err" &
lo_hub=$!; PIDS+=($lo_hub)
eventually 10 eval "ss -ltnH | grep -q '127.0.0.2:$port '" || fail "the hub does not listen on 127.0.0.2:$port: $(cat "$TMP/lo-hub.err")"
ss -ltnH | grep -q "127.0.0.1:$port " && fail "the hub listens on 127.0.0.1 too"
ok "hub serve --hub tcp://127.0.0.2:PORT listens on 127.0.0.2 only"
probe --hub "tcp://127.0.0.2:$port" --in 'hub?topic=frame/lo/' --summary -q > "$TMP/lo.json" 2>"$TMP/lo.err" &
lo_sub=$!; PIDS+=($lo_sub)
eventually 10 eval "ss -tnH state established | grep -q '127.0.0.2:$((port + 1)) '" || fail "the subscriber did not connect"
# A direct ZeroMQ output connected to the hub's publish endpoint from the source address 127.0.0.3
# (ZeroMQ's "SOURCE;DESTINATION" form): it does not wait for the hub's subscription as --out hub
# does, so its first frame may go by.
cap --test-pattern --name lo --size 160x120 --count 60 --out ">tcp://127.0.0.3:0;127.0.0.2:$port" 2>"$TMP/lo-cap.err" &
lo_cap=$!; PIDS+=($lo_cap)
eventually 10 eval "ss -tnH state established | grep -q '127.0.0.3:[0-9]* *127.0.0.2:$port'" ||
  fail "no connection from 127.0.0.3 to the hub's publish endpoint: $(ss -tnH state established)"
ok "the publisher is connected from 127.0.0.3"
wait_gone $lo_cap 20
wait_gone $lo_sub 10
n=$(jq -r .messages "$TMP/lo.json")
[ "${n:-0}" -ge 40 ] || fail "the subscriber on 127.0.0.2 got ${n:-0} of 60 frames: $(cat "$TMP/lo.json" "$TMP/lo.err")"
ok "the subscriber on 127.0.0.2 got $n of 60 frames from the publisher on 127.0.0.3, and its eos"
kill $lo_hub; wait_gone $lo_hub 5

# --- Two network namespaces.
if [ "$(id -u)" != 0 ]; then
  echo "skip: two network namespaces need root (ip netns); the loopback variant above ran"
  done_testing
  exit 0
fi
a=rvkit-a-$$ b=rvkit-b-$$
netns_cleanup() {
  ip netns pids "$a" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$b" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}
trap 'netns_cleanup; cleanup' EXIT
if ! ip netns add "$a" 2>"$TMP/netns.err" || ! ip netns add "$b" 2>>"$TMP/netns.err" ||
   ! ip link add "va$$" netns "$a" type veth peer name "vb$$" netns "$b" 2>>"$TMP/netns.err"; then
  echo "skip: network namespaces are not available here: $(head -n 1 "$TMP/netns.err")"
  done_testing
  exit 0
fi
ip -n "$a" addr add 10.77.0.1/24 dev "va$$"
ip -n "$b" addr add 10.77.0.2/24 dev "vb$$"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "va$$" up
ip -n "$b" link set "vb$$" up
ok "namespaces $a (10.77.0.1) and $b (10.77.0.2) joined by a veth pair"

# The hub on every interface of its coprocessor (the default port: the namespace is its own machine).
ip netns exec "$a" hub serve --bind 0.0.0.0 --no-ipc -v 2>"$TMP/ns-hub.err" &
ns_hub=$!; PIDS+=($ns_hub)
eventually 10 eval "ip netns exec '$a' ss -ltnH | grep -q '0.0.0.0:5551 '" || fail "the hub in $a does not listen: $(cat "$TMP/ns-hub.err")"
ip netns exec "$a" probe --in 'hub?topic=frame/remote/' --summary -q > "$TMP/ns.json" 2>"$TMP/ns.err" &
ns_sub=$!; PIDS+=($ns_sub)
eventually 10 eval "ip netns exec '$a' ss -tnH state established | grep -q ':5551 '" || fail "the subscriber in $a did not connect"
# The publisher on the other coprocessor finds the hub by RVKIT_HUB, as a robot's would.
ip netns exec "$b" env RVKIT_HUB=tcp://10.77.0.1 cap --test-pattern --name remote --size 160x120 --count 3 --fps 0 \
  --out hub 2>"$TMP/ns-cap.err" || fail "the publisher in $b failed: $(cat "$TMP/ns-cap.err")"
wait_gone $ns_sub 10
expect_eq "$(jq -r '"\(.messages) \(.first_seq) \(.last_seq)"' "$TMP/ns.json")" "3 0 2" \
  "the subscriber in $a got all 3 frames of the publisher in $b through the hub, and its eos"
kill $ns_hub; wait_gone $ns_hub 5
done_testing
