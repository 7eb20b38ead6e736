# The library's layering holds in what gets linked: tools that move messages or speak
# NetworkTables link no OpenCV (rvkit_core, rvkit_io, rvkit_cli, rvkit_geometry and rvkit_nt don't
# depend on it), and the tools that draw or detect do.
source "$(dirname "$0")/lib/common.bash"
command -v ldd >/dev/null || fail "ldd is needed"
opencv_libs() { ldd "$RVKIT_BIN/$1" | grep -c 'libopencv_' || true; }
for t in probe ntserver ntsub ntpub; do
  expect_eq "$(opencv_libs "$t")" 0 "$t links no OpenCV library"
done
for t in cap detect overlay stream; do
  n=$(opencv_libs "$t")
  [ "$n" -gt 0 ] || fail "$t should link OpenCV (the check above would then prove nothing)"
  ok "$t links OpenCV ($n libraries)"
done
for t in probe ntserver; do
  expect_eq "$(ldd "$RVKIT_BIN/$t" | grep -c 'libapriltag' || true)" 0 "$t links no libapriltag"
done
done_testing
