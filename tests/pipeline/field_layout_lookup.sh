#!/usr/bin/env bash
# detect, ntpub and overlay resolve a --field name to the same file, in the one order of
# lib/rvkit/geometry/field_layout.hpp. Run from the build tree, they read the source tree's
# data/fields. Installed (the built tools copied into PREFIX/bin, beside a PREFIX/share/rvkit/fields
# holding a different 2024-crescendo.json), they read the layout installed with them, although the
# source tree has one of the same name; a name only the source tree has is still found there. An
# explicit path always wins, and an unknown name fails alike in every tool, naming the same folders.
source "$(dirname "$0")/lib/common.bash"
: "${RVKIT_SOURCE:?run through ctest, which sets RVKIT_SOURCE}" "${RVKIT_TESTDATA:?}"
calib="$RVKIT_TESTDATA/photonvision/calibration/lifecam_1280.json"
tools=(detect ntpub overlay)

# run_field DIR TOOL SPEC: runs DIR/TOOL -v with --field SPEC on no input; its stderr on stdout.
run_field() {
  case $2 in
    detect) "$1/detect" -v --calib "$calib" --field "$3" ;;
    ntpub) "$1/ntpub" -v --server 127.0.0.1:1 --linger 0 --field "$3" ;;
    overlay) "$1/overlay" -v --field "$3" ;;
  esac </dev/null 2>&1 >/dev/null
}
# layout_line DIR TOOL SPEC: what the tool's -v says it loaded ("FILE (N tags, field L x W m)").
layout_line() {
  local out
  out=$(run_field "$@") || fail "$2 --field $3 failed: $out"
  sed -n "s/^$2: field layout: //p" <<<"$out"
}
# expect_all DIR SPEC EXPECTED WHAT: every tool in DIR loads the layout EXPECTED for --field SPEC.
expect_all() {
  local t
  for t in "${tools[@]}"; do expect_eq "$(layout_line "$1" "$t" "$2")" "$3" "$t: $4"; done
}

source_layout="$RVKIT_SOURCE/data/fields/2024-crescendo.json"
expect_all "$RVKIT_BIN" 2024-crescendo "$source_layout (16 tags, field 16.541 x 8.211 m)" \
  "from the build tree, a name is the source tree's layout"

# An installed copy: the tools in PREFIX/bin, their own layouts in PREFIX/share/rvkit/fields.
prefix=$(realpath "$TMP")/prefix
mkdir -p "$prefix/bin" "$prefix/share/rvkit/fields"
for t in "${tools[@]}"; do cp "$RVKIT_BIN/$t" "$prefix/bin/"; done
installed="$prefix/share/rvkit/fields/2024-crescendo.json"
jq '{tags: .tags[0:1], field: {length: 9, width: 4}}' "$source_layout" >"$installed"
expect_all "$prefix/bin" 2024-crescendo "$installed (1 tag, field 9 x 4 m)" \
  "installed, a name is the layout installed with the tool, not the source tree's"
expect_all "$prefix/bin" 2025-reefscape-welded \
  "$RVKIT_SOURCE/data/fields/2025-reefscape-welded.json (22 tags, field 17.548 x 8.052 m)" \
  "installed, a name it lacks is still found in the source tree"

# An explicit path wins over a name, for every tool.
mkdir "$TMP/cwd"
cp "$installed" "$TMP/cwd/2024-crescendo.json"
cd "$TMP/cwd"
expect_all "$RVKIT_BIN" ./2024-crescendo.json "./2024-crescendo.json (1 tag, field 9 x 4 m)" "an explicit path wins"

# An unknown name: status 1 and the same line from every tool, naming the known names and the
# folders searched, the tool's own share/rvkit/fields first.
first=""
for t in "${tools[@]}"; do
  rc=0
  out=$(run_field "$prefix/bin" "$t" 2031-mystery) || rc=$?
  expect_eq "$rc" 1 "$t: an unknown name fails with status 1"
  line=$(grep -o "field layout '2031-mystery': .*" <<<"$out" || true)
  expect_match "$line" "known: 2024-crescendo, .*; looked in $prefix/share/rvkit/fields, $RVKIT_SOURCE/data/fields" \
    "$t: the error lists the known names and where it looked"
  if [ -z "$first" ]; then first=$line; else expect_eq "$line" "$first" "$t: the same error as ${tools[0]}"; fi
done

done_testing
