#!/usr/bin/env bash
# rec on a disk that fills (docs/rec.md, "A full disk is an error, not corruption"): a 3 MB tmpfs,
# mounted in a mount namespace of its own (unshare --mount, private propagation), so nothing is
# mounted on the host and the mount goes with the namespace. rec says so in one line (No space left
# on device), exits 1, and the file holds every whole message written before: repair finds nothing
# to cut, probe reads it cleanly and cap --file plays every frame of it.
# Needs root (or CAP_SYS_ADMIN) for the mount: without it the test fails, saying why.
source "$(dirname "$0")/lib/common.bash"

# The namespace first: a test that cannot mount must not pass.
if ! why=$(unshare --mount --propagation private sh -c "mount -t tmpfs -o size=64k tmpfs '$TMP'" 2>&1); then
  fail "cannot mount a tmpfs in a private mount namespace (uid $(id -u); this test needs root or CAP_SYS_ADMIN): $why"
fi
ok "a tmpfs mounts in a private mount namespace"

mkdir -p "$TMP/disk"
# Inside the namespace: mount, record until the disk is full, and copy out what is left for the checks.
unshare --mount --propagation private bash -c '
  set -u
  mount -t tmpfs -o size=3m tmpfs "$1/disk" || exit 99
  cap --test-pattern --size 320x240 --fps 0 --count 100 2>/dev/null | rec --out "$1/disk/full.rvs" 2>"$1/rec.err"
  echo "${PIPESTATUS[1]}" >"$1/rec.status"
  df -B1 --output=avail "$1/disk" | tail -n 1 >"$1/avail"
  cp "$1/disk/full.rvs" "$1/full.rvs"
' - "$TMP" || fail "the namespace's script failed (status $?)"
grep -qs ' '"$TMP"'/disk ' /proc/mounts && fail "the tmpfs is mounted on the host"
ok "nothing is left mounted on the host"

expect_eq "$(cat "$TMP/rec.status")" 1 "rec exits with status 1 when the disk is full"
expect_eq "$(wc -l <"$TMP/rec.err")" 1 "one line on stderr"
expect_match "$(cat "$TMP/rec.err")" \
  "^rec: .*/disk/full.rvs: write failed after [0-9]+ bytes \([0-9]+ whole messages\): No space left on device$" \
  "the line names the file, how much was written and why"
whole=$(sed -nE 's/.*\(([0-9]+) whole messages\).*/\1/p' "$TMP/rec.err")
bytes=$(sed -nE 's/.*write failed after ([0-9]+) bytes.*/\1/p' "$TMP/rec.err")
[ "$whole" -gt 0 ] && [ "$whole" -lt 100 ] || fail "the disk held $whole of the 100 frames: the test does not fill it"
ok "the disk filled after $whole of the 100 frames"
expect_eq "$(stat -c %s "$TMP/full.rvs")" "$bytes" "the file holds exactly the $bytes bytes of its whole messages"
[ "$(cat "$TMP/avail")" -lt 230400 ] || fail "the disk has $(cat "$TMP/avail") bytes free: a frame would still fit"
ok "the disk is full (less than a frame free)"

expect_match "$(rec --repair "$TMP/full.rvs" 2>&1)" "whole: $whole messages \($whole frames\), $bytes bytes; nothing cut" \
  "rec --repair finds nothing to cut"
probe --in "$TMP/full.rvs" -q --summary >"$TMP/full.sum" || fail "probe does not read the file cleanly"
expect_eq "$(jq -c 'select(.cam) | [.messages, .first_seq, .last_seq]' "$TMP/full.sum")" "[$whole,0,$((whole - 1))]" \
  "probe reads every whole frame, in order"
cap --file "$TMP/full.rvs" 2>"$TMP/cap.err" | probe -q --summary >"$TMP/replay.sum" || fail "cap --file: $(cat "$TMP/cap.err")"
expect_eq "$(jq -c 'select(.cam) | [.messages, .last_seq]' "$TMP/replay.sum")" "[$whole,$((whole - 1))]" \
  "cap --file plays the file to its last whole frame"
done_testing
