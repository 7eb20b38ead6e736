# One option convention across the tools: an option that several tools take has the same value form,
# range, default and description in each tool's --help (rvkit/cli/shared_options.hpp declares them
# once), and a bad value of it exits with status 2 and one line naming the option, in every tool.
source "$(dirname "$0")/lib/common.bash"
tools=$(cd "$RVKIT_BIN" && ls)
[ -n "$tools" ] || fail "no tools built in $RVKIT_BIN"

# help_table TOOL: one line per option of TOOL --help: TOOL<TAB>NAMES<TAB>VALUE<TAB>DESCRIPTION, where
# VALUE is CLI11's column after the names (type, range, =default, Excludes: ...). CLI11 writes the
# description from column 35, or on the next line (indented 34) when the names and value are longer.
help_table() {
  "$1" --help | awk -v tool="$1" '
    function emit(left, desc,   names) {
      sub(/^ +/, "", left); sub(/ +$/, "", left); sub(/^ +/, "", desc); sub(/ +$/, "", desc)
      names = left; sub(/ .*/, "", names)
      print tool "\t" names "\t" substr(left, length(names) + 2) "\t" desc
    }
    { line[NR] = $0 }
    END {
      pad = sprintf("%34s", "")
      for (i = 1; i <= NR; i++) {
        if (line[i] !~ /^  -/) continue
        if (i < NR && substr(line[i + 1], 1, 34) == pad && line[i + 1] !~ /^ *-/) { emit(line[i], line[i + 1]); i++ }
        else emit(substr(line[i], 1, 34), substr(line[i], 35))
      }
    }'
}
table=""
for t in $tools; do table+=$(help_table "$t")$'\n'; done
table=${table%$'\n'}
# calib's --out is the calibration it writes (issue 14: `calib --board ... --out cam0.yaml | stream`),
# not a stream; its frames go to --frames. Only that row is left out of the comparison.
table=$(awk -F'\t' '!($1 == "calib" && $2 == "--out")' <<<"$table")
expect_match "$(grep -c . <<<"$table")" "^[0-9]{2,}$" "the options of every tool's --help are read"
expect_eq "$(awk -F'\t' '$1 == "cap" && $2 == "--quality" { print $3 " | " $4 }' <<<"$table")" \
  "INT:INT in [1 - 100]=80 | JPEG quality when encoding" "a help line is split into value and description"

# What "the same" means for each option several tools take. Anything not listed must be identical.
#   value-and-meaning  the same value column, and the same text after the description's last ': '
#                      (before it, the tool's own purpose: "Frame size (...)", "The tile's size (...)")
#   meaning            the same text after the last ': '; the value column differs, the option being
#                      repeatable in one tool (overlay reads several inputs, a calibration per camera)
#   tool-default       the same description and form; the default is the tool's (its own client name)
#   different          only the name is shared: not one option (kept as they are for compatibility)
rule_of() {
  case "$1" in
    --size | --field | --count) echo value-and-meaning ;;
    --in | --calib) echo meaning ;;
    --client-name) echo tool-default ;;
    # --port: a server's own port (stream 1181, ntserver 5810; one description and range), or for
    # ntpub/ntsub the NT server's. --name: cap's camera vs overlay's tile. --fmt: each tool's own
    # formats. --timeout: stream's per-request limit vs ntsub's run time. --bind, --max-clients: each
    # server's own defaults. -q: each tool's own quiet. --no-tags: detect finds, overlay draws.
    --port | --name | --fmt | --timeout | --bind | --max-clients | -q,--quiet | --no-tags) echo different ;;
    *) echo same ;;
  esac
}
after_colon() { sed 's/.*: //'; }
without_default() { sed 's/=[^ ]*//'; }
shared=$(cut -f2 <<<"$table" | sort | uniq -d)
for opt in $shared; do
  rows=$(awk -F'\t' -v o="$opt" '$2 == o' <<<"$table")
  # rec's --out names its recording (a file name pattern), not a stream output: the others still agree.
  [ "$opt" = --out ] && rows=$(awk -F'\t' '$1 != "rec"' <<<"$rows")
  in_tools=$(cut -f1 <<<"$rows" | tr '\n' ' ')
  rule=$(rule_of "$opt")
  case $rule in
    same) n=$(cut -f3,4 <<<"$rows" | sort -u | wc -l) ;;
    value-and-meaning) n=$( (cut -f3 <<<"$rows"; cut -f4 <<<"$rows" | after_colon | sed 's/^/desc: /') | sort -u | wc -l)
      n=$((n - 1)) ;;
    meaning) n=$(cut -f4 <<<"$rows" | after_colon | sort -u | wc -l) ;;
    tool-default) n=$(cut -f3,4 <<<"$rows" | without_default | sort -u | wc -l) ;;
    different) ok "$opt ($in_tools): not the same option, only the same name"; continue ;;
  esac
  [ "$n" -eq 1 ] || fail "$opt differs between tools ($rule):"$'\n'"$(cut -f1,3,4 <<<"$rows")"
  ok "$opt is the same in $in_tools($rule)"
done
# The options the convention is about are among them (a tool that dropped one would hide here).
for opt in --in --out --max-bytes --size --quality --tag-size --field --calib --count -v,--verbose --version; do
  grep -qx -- "$opt" <<<"$shared" || fail "$opt is no longer shared by several tools"
done
ok "the conventional options are each taken by several tools"
expect_eq "$(awk -F'\t' '$2 == "--port" && $1 ~ /^(stream|ntserver)$/ { print $3 " " $4 }' <<<"$table" | without_default | sort -u | wc -l)" \
  1 "--port: stream and ntserver, the two servers, have one description and range"

# A bad value: status 2 and one line "TOOL: ... OPTION ... (see --help)", before any work is done.
# expect_bad TOOL OPTION ARGS...: runs TOOL ARGS (stdin empty) and checks that.
expect_bad() {
  local tool=$1 opt=$2 rc=0 err
  shift 2
  err=$(timeout 20 "$tool" "$@" 2>&1 </dev/null >/dev/null) || rc=$?
  [ "$rc" -eq 2 ] || fail "$tool $*: exit status $rc, expected 2 (stderr: $err)"
  [ "$(wc -l <<<"$err")" -eq 1 ] || fail "$tool $*: expected one line on stderr, got: $err"
  [[ "$err" == "$tool: "*"$opt"*"(see --help)" ]] || fail "$tool $*: '$err' does not name $opt in one 'TOOL: ... (see --help)' line"
  ok "$tool $*: $err"
}
# A source for cap, so that the option checked is the only thing wrong with the command line.
args_of() { [ "$1" = cap ] && echo --test-pattern --count 1; true; }
bad_value() {
  case "$1" in
    --max-bytes) echo lots ;; --quality) echo 0 ;; --size) echo 5x5 ;; --tag-size) echo 0 ;;
    --count) echo -1 ;; --team) echo 0 ;; --client-name) echo a@b ;;
  esac
}
for opt in --max-bytes --quality --size --tag-size --count --team --client-name; do
  for t in $(awk -F'\t' -v o="$opt" '$2 == o { print $1 }' <<<"$table"); do
    # shellcheck disable=SC2046
    expect_bad "$t" "$opt" $(args_of "$t") "$opt=$(bad_value "$opt")"
  done
done
for t in stream ntserver; do expect_bad "$t" --port --port 70000; done
expect_bad cap --size --test-pattern --size 640
expect_bad cap --size --file /nonexistent.mp4 --size 20000x480
expect_bad cap --fourcc --cam 99 --fourcc H264
expect_bad cap --write-calib --file /nonexistent.mp4 --write-calib "$TMP/c.yaml"
expect_bad overlay --size --tile a,b --size 5x5
expect_bad detect --decimate --decimate 0
expect_bad detect --robot-to-camera --robot-to-camera 1,2,3
expect_bad detect --family --family 25h9
expect_bad ntpub --field-size --field-size 16
expect_bad ntpub --field-size --field-size 16,x
expect_bad ntpub --field-size --field-size -16,8
expect_bad ntpub --map --map nothing
# A valid option naming something that cannot be used is not a bad command line: status 1.
rc=0; timeout 20 detect --calib /nonexistent/cam.yaml </dev/null 2>/dev/null || rc=$?
expect_eq "$rc" 1 "a missing --calib file: status 1, not 2"
done_testing
