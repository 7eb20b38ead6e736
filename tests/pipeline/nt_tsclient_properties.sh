#!/usr/bin/env bash
# ntserver's properties, set by a real peer: ntcore-ts-client's setproperties (retained) is answered,
# passed on to subscribers, and keeps the topic and its value after the publisher unpublishes;
# a topic that is not retained goes (tests/nt/properties.js).
source "$(dirname "$0")/lib/nt.bash"
nt_npm_setup
start_ntserver
(cd "$NT_DIR" && exec node properties.js "$NT_PORT") >"$TMP/out" 2>"$TMP/node.log" ||
  fail "$(grep -v '^    at ' "$TMP/node.log" | grep -v '^\[' | tail -n 5)"
cat "$TMP/out"
expect_eq "$(grep -c "^ok - " "$TMP/out")" 4 "every step of properties.js passed"
kill -0 "$NT_PID" || fail "ntserver exited"
done_testing
