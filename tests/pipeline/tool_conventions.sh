# Every tool has --help, --version, a man page that renders cleanly, and rejects unknown options.
source "$(dirname "$0")/lib/common.bash"
src=${RVKIT_SOURCE:?}
tools=$(cd "$RVKIT_BIN" && ls)
[ -n "$tools" ] || fail "no tools built in $RVKIT_BIN"
for t in $tools; do
  out=$("$t" --help) || fail "$t --help exited $?"
  expect_match "$out" "--version" "$t --help lists the options"
  expect_match "$("$t" --version)" "^$t \(rvkit\) [0-9]+\.[0-9]+\.[0-9]+$" "$t --version"
  set +e
  err=$("$t" --no-such-option 2>&1); rc=$?
  set -e
  expect_eq "$rc" 2 "$t rejects an unknown option with status 2"
  expect_eq "$(wc -l <<<"$err")" 1 "$t: one line for a bad option"
  page="$src/man/$t.1"
  [ -f "$page" ] || fail "no man page man/$t.1"
  warnings=$(groff -man -ww -z "$page" 2>&1)
  expect_eq "$warnings" "" "man/$t.1 renders without warnings"
  expect_match "$(head -n 5 "$page")" "\.TH ${t^^} 1" "man/$t.1 has a title line"
done
done_testing
