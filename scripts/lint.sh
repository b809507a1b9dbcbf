#!/usr/bin/env bash
# `make lint`: clang-tidy (.clang-tidy: bugprone, performance, concurrency; warnings are errors)
# over the given files, or over every production source (host, wrappers, sdk, common,
# components) when none are given. Needs a configured build folder for compile_commands.json.
# A full run takes ~17 s per file on 2 cores, so CI lints the files a change touches.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'host/*.cc' 'wrappers/*.cc' 'sdk/*.cc' 'components/*.cc')
fi
[ ${#files[@]} -gt 0 ] || { echo "lint: no files"; exit 0; }
failed=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! out=$(clang-tidy -p "$build" --quiet "$f" 2>/dev/null); then
    failed=$((failed + 1))
    echo "$out" | grep -E 'error:' | head -20
  fi
done
echo "lint: ${#files[@]} file(s), ${failed} with findings"
[ "$failed" -eq 0 ]
