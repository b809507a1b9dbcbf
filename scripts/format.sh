#!/usr/bin/env bash
# `make format` rewrites every C++ source in place with .clang-format; `make format-check`
# (this script with --check) lists the files that differ and fails, without touching them.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
mapfile -t files < <(git ls-files '*.h' '*.cc' | grep -v -e '^fuzz/corpus/' -e 'node_modules/')
if [ "$mode" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    printf 'not formatted (run make format): %s\n' "${bad[@]}"
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  clang-format -i "${files[@]}"
fi
