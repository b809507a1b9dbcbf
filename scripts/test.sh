#!/usr/bin/env bash
# `make test`: every test through meson, then the one summary line CI reads.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

meson test -C "$build" --print-errorlogs --num-processes 2
rc=$?

# Counts a meson test log: prints "passed failed" (skips are neither). The names of failed tests
# go to $failed_list, so the last lines CI shows say which ones failed.
failed_list=$(mktemp)
count_results() {
  if [ ! -f "$1" ]; then echo "0 1"; return; fi
  /usr/bin/python3 - "$1" "$failed_list" <<'PY'
import json, sys
passed = failed = 0
names = open(sys.argv[2], "a")
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    result = json.loads(line).get("result")
    if result in ("OK", "EXPECTEDFAIL", "SKIP"):
        passed += result != "SKIP"
    else:
        failed += 1
        names.write("failed: %s (%s, %s)\n" % (json.loads(line).get("name"), result, sys.argv[1]))
print(passed, failed)
PY
}
read -r passed failed < <(count_results "$build/meson-logs/testlog.json")

# Layering: no include edge outside the allowed list (scripts/check_includes.py).
if /usr/bin/python3 scripts/check_includes.py; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "failed: include layering (scripts/check_includes.py)" >>"$failed_list"
fi

# Formatting: every C++ source as .clang-format writes it (scripts/format.sh; `make format` fixes).
if ./scripts/format.sh --check; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "failed: formatting (run make format)" >>"$failed_list"
fi

# Lint: clang-tidy over every production source (scripts/lint.py; .clang-tidy's checks, findings
# are errors). Files whose preprocessed unit passed before are skipped, so a warm run takes a
# minute; a cold one about ten on 2 cores. PLUGHOST_LINT=0 skips it.
if [ "${PLUGHOST_LINT:-1}" != 0 ] && command -v clang-tidy >/dev/null 2>&1; then
  lint_log=$(mktemp)
  if BUILD_DIR="$build" /usr/bin/python3 scripts/lint.py >"$lint_log" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    cat "$lint_log"
    echo "failed: lint (scripts/lint.py; run make lint)" >>"$failed_list"
  fi
  tail -n 1 "$lint_log"
  rm -f "$lint_log"
fi

# The clang build (build-fuzz): every object under ASan and UBSan, with clang's thread-safety
# analysis as errors. It runs the unit tests of the concurrent middle (test/meson.build,
# `sanitized_dirs`), then the libFuzzer targets (fuzz/), each briefly from its committed seed
# corpus and counted as one test. New inputs go to a scratch
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
      if ninja -C "$fuzz_build"; then
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
          meson test -C "$fuzz_build" --no-rebuild --print-errorlogs --num-processes 2 \
          >"$probe/sanitized.log" 2>&1
        read -r sanitized_passed sanitized_failed \
          < <(count_results "$fuzz_build/meson-logs/testlog.json")
        passed=$((passed + sanitized_passed))
        failed=$((failed + sanitized_failed))
        echo "sanitized unit tests (ASan+UBSan): ${sanitized_passed} passed, ${sanitized_failed} failed"
        [ "$sanitized_failed" -eq 0 ] || tail -n 60 "$probe/sanitized.log"
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
            echo "failed: fuzz $target" >>"$failed_list"
            tail -n 40 "$fuzz_build/$target.log"
          fi
        done
      else
        failed=$((failed + ${#fuzz_targets[@]} + 1))
        echo "fuzz: building the clang build in $fuzz_build failed"
      fi
    else
      failed=$((failed + ${#fuzz_targets[@]}))
      echo "fuzz: configuring $fuzz_build failed:"; cat "$probe/setup.log"
    fi
  else
    echo "clang build: skipped (needs clang++ with libFuzzer and sanitizers: libclang-rt-14-dev)"
  fi
  rm -rf "$probe"
fi

cat "$failed_list"; rm -f "$failed_list"
echo "${passed} passed, ${failed} failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
