#!/usr/bin/env bash
# `make test`: every test through meson, then the one summary line CI reads.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

meson test -C "$build" --print-errorlogs --num-processes 2
rc=$?

log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
  read -r passed failed < <(/usr/bin/python3 - "$log" <<'PY'
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    result = json.loads(line).get("result")
    if result in ("OK", "EXPECTEDFAIL", "SKIP"):
        passed += result != "SKIP"
    else:
        failed += 1
print(passed, failed)
PY
)
else
  passed=0; failed=1
fi
echo "${passed} passed, ${failed} failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
