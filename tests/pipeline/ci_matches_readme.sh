# CI must run exactly the README's test command (its second fenced command).
source "$(dirname "$0")/lib/common.bash"
src=${RVKIT_SOURCE:?}
readme_cmd=$(awk '/^```sh$/ { n++; getline; if (n == 2) { print; exit } }' "$src/README.md")
ci_cmd=$(grep -v '^\s*#' "$src/.ci/run" | grep -v '^set \|^cd \|^$' | tail -n 1)
[ -n "$readme_cmd" ] || fail "no second command in README.md"
expect_eq "$ci_cmd" "$readme_cmd" ".ci/run runs the README's test command"
expect_match "$readme_cmd" "install-deps" "the test command installs dependencies"
expect_match "$readme_cmd" "ctest" "the test command runs ctest"
first=$(awk '/^```sh$/ { getline; print; exit }' "$src/README.md")
expect_match "$first" "install-deps.*scripts/robot-vision.sh --demo" "the first command installs, builds and runs the demo pipeline"
done_testing
