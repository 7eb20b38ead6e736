#!/usr/bin/env bash
# scripts/demo, the README's first command: the whole pipeline runs (annotated video on HTTP, the
# detections and the camera's stream URL on NetworkTables), and Ctrl-C ends every process of it
# with status 0, quietly, leaving nothing behind.
source "$(dirname "$0")/lib/common.bash"
: "${RVKIT_SOURCE:?run through ctest, which sets RVKIT_SOURCE}"

http_port=$(free_port)
nt_port=$(free_port)
[ "$http_port" != "$nt_port" ] || nt_port=$(free_port)

# Its own session and process group, as a terminal would give it, with SIGINT not ignored (a shell
# starts '&' jobs with it ignored, and a script cannot trap a signal ignored on entry); TMPDIR to see
# it clean up.
mkdir "$TMP/tmpdir"
TMPDIR=$TMP/tmpdir RVKIT_BIN=$RVKIT_BIN setsid perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' "$RVKIT_SOURCE/scripts/demo" --port "$http_port" --nt-port "$nt_port" \
  >"$TMP/out" 2>"$TMP/err" &
demo=$!
GROUPS_+=("$demo")
for _ in $(seq 300); do
  grep -q 'Ctrl-C stops everything' "$TMP/err" && break
  kill -0 "$demo" 2>/dev/null || fail "the demo ended by itself: $(cat "$TMP/err")"
  sleep 0.1
done
grep -q 'Ctrl-C stops everything' "$TMP/err" || fail "the demo did not say it is running: $(cat "$TMP/err")"
expect_match "$(cat "$TMP/err")" "open http://localhost:$http_port/" "it prints the URL to open"
expect_match "$(cat "$TMP/err")" "ntsub --server localhost:$nt_port" "it prints how to watch the NT values"
# The tools are the demo's children (each in its own session, so that Ctrl-C reaches the script,
# which stops them in order).
# (The demo's main loop runs short 'sleep's: one may end between pgrep and the read of its name.)
procs=$(pgrep -P "$demo" | live_procs sleep)
pids=$(cut -d' ' -f1 <<<"$procs")
for p in $pids; do PIDS+=("$p"); done
tools=$(cut -d' ' -f2 <<<"$procs" | sort | tr "\n" " ")
expect_eq "$tools" "cap detect ntpub ntpub ntserver ntsub overlay stream " "the processes of the pipeline"

# The video: annotated 640x480 frames at the camera's rate.
base="http://127.0.0.1:$http_port"
for _ in $(seq 100); do  # the first frame takes detect's and overlay's start-up
  curl -sf --max-time 10 -o "$TMP/snap.jpg" "$base/snapshot.jpg" && break
  sleep 0.1
done
[ -s "$TMP/snap.jpg" ] || fail "no snapshot from $base"
expect_eq "$(ffprobe -v error -show_entries stream=width,height -of csv=s=x:p=0 "$TMP/snap.jpg")" "640x480" "snapshot size"
# The rate settles within a few seconds of the first frame (later on a loaded machine).
fps_at_least_10() {
  fps=$(curl -sf --max-time 5 "$base/state" | jq '.cameras[] | select(.cam == "test") | .fps' || true)
  awk -v f="${fps:-0}" 'BEGIN { exit !(f >= 10) }'
}
eventually 10 fps_at_least_10 || fail "stream gets ${fps:-no} fps of 30"
ok "stream serves camera 'test' at $fps fps"

# NetworkTables: detections and the camera's stream URL, as a dashboard sees them.
ntsub --server "127.0.0.1:$nt_port" --count 1 --timeout 10 /rvkit/test/tagIds >"$TMP/tags" 2>"$TMP/ntsub.err" ||
  fail "ntsub: $(cat "$TMP/ntsub.err")"
expect_match "$(jq -c .value "$TMP/tags")" '^\[[0-9]+(,[0-9]+)+\]$' "/rvkit/test/tagIds lists the test pattern's tags"
ntsub --server "127.0.0.1:$nt_port" --count 1 --timeout 10 /CameraPublisher/test/streams >"$TMP/streams" 2>>"$TMP/ntsub.err" ||
  fail "ntsub: $(cat "$TMP/ntsub.err")"
expect_match "$(jq -c .value "$TMP/streams")" "mjpg:http://[^\"]+:$http_port/\\?action=stream" "/CameraPublisher/test/streams"

# Ctrl-C: SIGINT to the whole process group, as a terminal sends it.
wait_sigint_handlers $pids
kill -INT -- -"$demo"
wait_gone "$demo" 10
rc=0
wait "$demo" || rc=$?
expect_eq "$rc" 0 "the demo ends with status 0 on Ctrl-C"
left=0
for p in $pids; do eventually 5 gone "$p" || left=$((left + 1)); done  # (reaped by init a moment later)
expect_eq "$left" 0 "no process of the demo is left"
expect_eq "$(grep -Eiv '^demo: |: listening on port|connected' "$TMP/err" || true)" "" \
  "on stderr: the demo's lines and connections only (no errors, no lost connection)"
expect_eq "$(ls -A "$TMP/tmpdir")" "" "its temporary folder is removed"
expect_eq "$(wc -c <"$TMP/out")" 0 "nothing on stdout"

# --seconds ends it by itself, also with status 0; a port in use is a clear error.
TMPDIR=$TMP/tmpdir RVKIT_BIN=$RVKIT_BIN setsid "$RVKIT_SOURCE/scripts/demo" --port "$http_port" --nt-port "$nt_port" \
  --seconds 2 >/dev/null 2>"$TMP/err2" || fail "demo --seconds 2: $(cat "$TMP/err2")"
expect_match "$(cat "$TMP/err2")" "demo: 2 s are up; stopping" "--seconds ends it"
node -e 'const s = require("net").createServer().listen(Number(process.argv[1]), "0.0.0.0"); setTimeout(() => s.close(), 60000)' "$http_port" &
blocker=$!
PIDS+=("$blocker")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done
rc=0
TMPDIR=$TMP/tmpdir RVKIT_BIN=$RVKIT_BIN timeout 20 setsid "$RVKIT_SOURCE/scripts/demo" --port "$http_port" --nt-port "$nt_port" \
  >/dev/null 2>"$TMP/err3" || rc=$?
expect_eq "$rc" 1 "a port in use: exit status 1"
expect_match "$(cat "$TMP/err3")" "port $http_port is already in use.*--port" "a port in use: the demo says which and what to do"
expect_eq "$(ls -A "$TMP/tmpdir")" "" "its temporary folder is removed after a failure too"
# A tool that fails while the demo runs is named, and the demo ends with status 1 and cleans up.
mkdir "$TMP/bin"
for t in cap detect overlay stream ntpub ntserver; do ln -s "$RVKIT_BIN/$t" "$TMP/bin/$t"; done
printf '#!/bin/sh\nsleep 0.5\necho "ntsub: pretend failure" >&2\nexit 3\n' >"$TMP/bin/ntsub"
chmod +x "$TMP/bin/ntsub"
rc=0
TMPDIR=$TMP/tmpdir RVKIT_BIN=$TMP/bin timeout 30 setsid "$RVKIT_SOURCE/scripts/demo" --port "$(free_port)" \
  --nt-port "$(free_port)" >/dev/null 2>"$TMP/err5" || rc=$?
expect_eq "$rc" 1 "a tool that fails: exit status 1"
expect_match "$(cat "$TMP/err5")" "demo: ntsub stopped \(exit 3\); stopping the demo" "a tool that fails is named with its status"
expect_eq "$(ls -A "$TMP/tmpdir")" "" "its temporary folder is removed after a tool fails"
expect_match "$("$RVKIT_SOURCE/scripts/demo" --help)" "^Usage: scripts/demo .*--seconds" "--help prints the usage"
rc=0
"$RVKIT_SOURCE/scripts/demo" --bogus 2>"$TMP/err4" || rc=$?
expect_eq "$rc" 2 "an unknown option: exit status 2"
expect_match "$(head -n 1 "$TMP/err4")" "unknown option '--bogus'" "an unknown option is named"
done_testing
