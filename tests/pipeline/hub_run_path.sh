#!/usr/bin/env bash
# hub run puts the folder of its own binary first in its children's PATH (docs/launch.md, "What a
# process gets"), so a `sh` line runs the build's rvkit tools even when PATH has none of them.
source "$(dirname "$0")/lib/common.bash"
export RVKIT_HUB=ipc://$TMP/hub
cat >"$TMP/path.toml" <<EOF2
[hub]
enabled = false
[[process]]
name = "which"
sh = "command -v probe > '$TMP/which'; echo \"\$PATH\" > '$TMP/path'"
restart = "never"
EOF2
rc=0
env PATH=/usr/bin:/bin timeout 30 "$RVKIT_BIN/hub" run "$TMP/path.toml" --control "$TMP/ctl" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_eq "$rc" 0 "hub run ends by itself with status 0 ($(tail -n 3 "$TMP/err"))"
expect_eq "$(cat "$TMP/which")" "$RVKIT_BIN/probe" "a sh line finds the build's probe"
expect_match "$(cat "$TMP/path")" "^$RVKIT_BIN:/usr/bin:/bin\$" "the hub binary's folder comes first, then the PATH it had"
done_testing
