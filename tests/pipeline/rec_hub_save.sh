#!/usr/bin/env bash
# `rec save` (docs/rec.md, "The ring buffer"): through a running hub run's control socket, the ring
# buffers of the rec processes it supervises (cmd = ["rec", ...] and sh = "exec rec ...") are saved
# (SIGUSR1 to each rec's pid, nothing else), and rec save prints the files they wrote, which hold
# exactly each ring's window. What cannot be saved is one line and status 1: a process that is not
# a rec (or whose pid is a shell's), an unknown name, a rec without a ring, no hub run.
source "$(dirname "$0")/lib/hub_run.bash"

mkdir -p "$TMP/a" "$TMP/b"
cat >"$TMP/rec.toml" <<EOF
[[process]]
name = "cap"
cmd = ["cap", "--test-pattern", "--name", "front", "--size", "160x120", "--fps", "30", "--out", "hub"]

[[process]]
name = "rec-a"
cmd = ["rec", "--in", "hub?topic=frame/", "--ring", "1s", "--out", "$TMP/a/%H%M%S.rvs", "-v"]

[[process]]
name = "rec-b"
sh = "exec rec --in 'hub?topic=frame/' --ring-mb 0.5 --out '$TMP/b/%H%M%S.rvs'"

[[process]]
name = "rec-plain"
cmd = ["rec", "--in", "hub?topic=frame/", "--out", "$TMP/plain.rvs"]

[[process]]
name = "pipeline"
sh = "cap --test-pattern --size 64x48 | rec --ring 1s --out '$TMP/pipe.rvs'"
EOF

expect_fails 1 "^rec: no hub run is listening on $CONTROL$" "no hub run: one line" -- rec save --control "$CONTROL"

start_hub_run "$TMP/rec.toml"
wait_for_line "$TMP/run.err" '^rec-a +\| rec: .*ring [0-9]+ messages (0\.9[0-9]*|1\.0) s' 30
eventually 20 eval '[ "$(hub status --json --control "$CONTROL" | jq "[.[] | select(.state == \"running\" or .state == \"ready\")] | length")" = 6 ]' ||
  fail "not everything runs: $(hub status --control "$CONTROL")"
ok "hub run runs the camera and the recs"

# What cannot be saved.
expect_fails 1 "^rec: 'cap' does not run rec itself" "a process that is not a rec" -- rec save --name cap --control "$CONTROL"
expect_fails 1 "^rec: 'pipeline' does not run rec itself .*its pid is not rec's" "a sh pipeline (its pid is the shell)" -- \
  rec save --name pipeline --control "$CONTROL"
expect_fails 1 "^rec: no process named 'nobody'$" "an unknown name" -- rec save --name nobody --control "$CONTROL"
expect_fails 1 "^rec: rec-plain: rec: SIGUSR1: no ring buffer \(--ring\): nothing to save$" "a rec without a ring says so" -- \
  rec save --name rec-plain --control "$CONTROL"
expect_fails 2 "save: asks a running rec" "rec save with recording options" -- rec save --control "$CONTROL" --out x.rvs
hub stop rec-plain --control "$CONTROL"
eventually 10 eval 'hub status --json --control "$CONTROL" | jq -e ".[] | select(.name == \"rec-plain\") | .state == \"stopped\"" >/dev/null' ||
  fail "rec-plain did not stop"
expect_eq "$(pgrep -s "$HUB_PID" -x cap | wc -l)" 2 "both cameras run (the pipeline's was not signalled)"

# Every rec running: rec-a and rec-b, their files printed in the launch file's order.
rec save --control "$CONTROL" -v >"$TMP/saved" 2>"$TMP/save.err" || fail "rec save: $(cat "$TMP/save.err")"
expect_eq "$(wc -l <"$TMP/saved")" 2 "rec save prints two files"
fa=$(sed -n 1p "$TMP/saved") fb=$(sed -n 2p "$TMP/saved")
expect_match "$fa" "^$TMP/a/[0-9]{6}\.rvs$" "rec-a's file, an absolute path"
expect_match "$fb" "^$TMP/b/[0-9]{6}\.rvs$" "rec-b's file"
expect_match "$(cat "$TMP/save.err")" "rec-a \(pid $(pid_of rec-a)\): saved $fa" "-v names the process and its pid"
grep -Eq "^hub: rec-a: save requested: SIGUSR1 sent" "$TMP/run.err" || fail "hub run does not say it asked rec-a"
ok "hub run says which processes it signalled"

# Each file holds exactly the window rec said it saved.
saved_count() { lines_of "$1" | sed -nE 's/.*SIGUSR1: saving the ring: ([0-9]+) messages.*/\1/p' | tail -n 1; }
na=$(saved_count rec-a) nb=$(saved_count rec-b)
expect_eq "$(probe --in "$fa" -q --summary | jq -r 'select(.cam) | .messages')" "$na" "rec-a's file holds its $na messages"
expect_eq "$(probe --in "$fa" | jq -s '(.[-1].t_rec - .[0].t_rec) <= 1000000 and (.[-1].t_rec - .[0].t_rec) >= 800000')" true \
  "their arrival times span most of the 1 s window and no more"
expect_eq "$(probe --in "$fa" | jq -s '[.[].seq] as $s | $s == ($s | sort) and ($s | .[-1] - .[0] + 1) == length')" true \
  "consecutive frames, in order"
expect_eq "$(probe --in "$fb" -q --summary | jq -r 'select(.cam) | .messages')" "$nb" "rec-b's file holds its $nb messages"
# --ring-mb 0.5: each 160x120 bgr8 frame counts 57600 + 256 bytes, so 8 fit.
expect_eq "$nb" 8 "rec-b kept what 0.5 MB holds"

# The pipeline's rec and camera were not signalled (SIGUSR1 would have ended them).
expect_eq "$(hub status --json --control "$CONTROL" | jq -r '.[] | select(.name == "pipeline") | .restarts')" 0 \
  "the pipeline was never restarted"
[ ! -e "$TMP/pipe.rvs" ] || fail "the pipeline's rec saved"
ok "the pipeline's rec saved nothing"

hub stop --control "$CONTROL"
wait_gone "$HUB_PID" 20
done_testing
