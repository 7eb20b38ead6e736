#!/usr/bin/env bash
# hub run with a bad launch file (docs/launch.md, "Errors"): one line naming the file, the line and the
# key, exit status 2, and nothing started (not even the first process of a file whose error is later).
source "$(dirname "$0")/lib/common.bash"
export RVKIT_HUB=ipc://$TMP/hub

# bad NAME TEXT EXPECTED...: hub run on a file of TEXT fails with status 2 and one line matching EXPECTED.
bad() {
  local name=$1 text=$2 want=$3 rc=0
  printf '%s' "$text" >"$TMP/$name.toml"
  timeout 20 hub run "$TMP/$name.toml" --control "$TMP/ctl" "${@:4}" >"$TMP/out" 2>"$TMP/err" || rc=$?
  expect_eq "$rc" 2 "$name: exit status 2"
  expect_eq "$(wc -l <"$TMP/err")" 1 "$name: one line ($(cat "$TMP/err"))"
  expect_match "$(cat "$TMP/err")" "$want" "$name: the line names the problem"
  [ ! -e "$TMP/started" ] || fail "$name: a process was started"
  [ ! -e "$TMP/ctl" ] || fail "$name: the control socket was created"
}
first='[[process]]
name = "first"
sh = "touch '"$TMP"'/started; sleep 30"
'
bad syntax "${first}"'[[process]]
name = "p"
cmd = ["true"
' "syntax\\.toml:[0-9]+: syntax error"
bad unknown_key "${first}"'[[process]]
name = "p"
cmnd = ["true"]
' "unknown_key\\.toml:6: process\\[1\\]\\.cmnd: unknown key \\(did you mean 'cmd'\\?\\)"
bad wrong_type "${first}"'[[process]]
name = "p"
cmd = "true"
' "wrong_type\\.toml:6: process\\[1\\]\\.cmd: expected an array of strings, got a string"
bad no_command "${first}"'[[process]]
name = "p"
' "no_command\\.toml:4: process\\[1\\]: .*cmd.*sh"
bad cycle "${first}"'[[process]]
name = "a"
cmd = ["true"]
after = ["b"]
[[process]]
name = "b"
cmd = ["true"]
after = ["a"]
' "cycle\\.toml:[0-9]+: process\\[[12]\\]\\.after: dependency cycle: (a -> b -> a|b -> a -> b)"
bad unknown_after "${first}"'[[process]]
name = "a"
cmd = ["true"]
after = ["frist"]
' "unknown_after\\.toml:7: process\\[1\\]\\.after\\[0\\]: no process named 'frist' \\(did you mean 'first'\\?\\)"
bad undefined_var "${first}"'[[process]]
name = "a"
cmd = ["cap", "${camera}"]
' "undefined_var\\.toml:6: process\\[1\\]\\.cmd\\[1\\]: undefined variable \\\$\\{camera\\}"
bad hub_name "${first}"'[[process]]
name = "hub"
cmd = ["true"]
' "hub_name\\.toml:5: process\\[1\\]\\.name: 'hub' is the message hub's name"
printf '[vars]\nteam = "0"\n%s' "$first" >"$TMP/vars.toml"
rc=0
timeout 20 hub run "$TMP/vars.toml" --control "$TMP/ctl" --set tema=1234 >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "$rc" 2 "--set of no variable: exit status 2"
expect_match "$(cat "$TMP/err")" "--set tema: not a variable of \\[vars\\] \\(did you mean 'team'\\?\\)" "--set of no variable is named"
[ ! -e "$TMP/started" ] || fail "--set of no variable: a process was started"
rc=0
timeout 20 hub run "$TMP/missing.toml" --control "$TMP/ctl" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "$rc" 2 "a missing file: exit status 2"
expect_match "$(cat "$TMP/err")" "missing\\.toml: cannot read: No such file or directory" "a missing file is named"
done_testing
