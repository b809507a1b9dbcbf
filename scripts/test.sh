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
# Fuzzing: the libFuzzer targets (fuzz/) in their own clang build under ASan and UBSan, each
# run briefly from its committed seed corpus and counted as one test. New inputs go to a scratch
# folder, crash inputs to the fuzz build folder. PLUGHOST_FUZZ_SECONDS=0 skips this.
fuzz_build=${PLUGHOST_FUZZ_BUILD:-build-fuzz}
fuzz_seconds=${PLUGHOST_FUZZ_SECONDS:-20}
fuzz_targets=(config_fuzzer api_fuzzer routing_fuzzer)
if [ "$fuzz_seconds" -gt 0 ]; then
  probe=$(mktemp -d)
  if command -v clang++ >/dev/null 2>&1 &&
     echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
       clang++ -x c++ -fsanitize=fuzzer,address,undefined - -o "$probe/probe" >/dev/null 2>&1; then
    fuzz_cxx=clang++
    command -v ccache >/dev/null 2>&1 && fuzz_cxx="ccache clang++"
    if [ -f "$fuzz_build/build.ninja" ] ||
       CXX="$fuzz_cxx" meson setup "$fuzz_build" -Dfuzzing=true -Doptimization=1 -Ddebug=false \
         >"$probe/setup.log" 2>&1; then
      if ninja -C "$fuzz_build" "${fuzz_targets[@]/#/fuzz/}"; then
        for target in "${fuzz_targets[@]}"; do
          mkdir -p "$probe/$target"
          if UBSAN_OPTIONS=print_stacktrace=1 "$fuzz_build/fuzz/$target" \
               -max_total_time="$fuzz_seconds" -timeout=60 -print_final_stats=1 \
               -artifact_prefix="$fuzz_build/$target-" "$probe/$target" "fuzz/corpus/$target" \
               >"$fuzz_build/$target.log" 2>&1; then
            passed=$((passed + 1))
            echo "fuzz $target: OK ($(grep -o 'stat::number_of_executed_units: *[0-9]*' \
                   "$fuzz_build/$target.log" | grep -o '[0-9]*$') inputs in ${fuzz_seconds} s)"
          else
            failed=$((failed + 1))
            echo "fuzz $target: FAILED; log: $fuzz_build/$target.log"
            tail -n 40 "$fuzz_build/$target.log"
          fi
        done
      else
        failed=$((failed + ${#fuzz_targets[@]}))
        echo "fuzz: building the fuzz targets in $fuzz_build failed"
      fi
    else
      failed=$((failed + ${#fuzz_targets[@]}))
      echo "fuzz: configuring $fuzz_build failed:"; cat "$probe/setup.log"
    fi
  else
    echo "fuzz: skipped (needs clang++ with libFuzzer and sanitizers: libclang-rt-14-dev)"
  fi
  rm -rf "$probe"
fi

echo "${passed} passed, ${failed} failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
