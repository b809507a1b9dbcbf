#!/usr/bin/env python3
"""`make lint`: clang-tidy (.clang-tidy: bugprone, performance, concurrency) over production sources.

Usage: scripts/lint.py [FILE...]   (no files: every production source, as CI runs it)

A file costs ~17 s of clang-tidy, mostly parsing gRPC, protobuf and Boost headers, so a whole-tree
run is ~20 min on 2 cores. Two things keep CI well under that:
  - files run in parallel, one clang-tidy per core;
  - a file whose clean result is cached is skipped. The cache key is the clang-tidy version, the
    .clang-tidy text and the file's preprocessed translation unit (the compiler's -E output), so any
    change to the file, to a header it includes, or to its flags lints it again. Only clean results
    are cached; the cache lives in $PLUGHOST_LINT_CACHE (default ~/.cache/plughost-lint).
Exit status 1 when any file has a finding; each finding is printed.
"""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRODUCTION = ["host/*.cc", "wrappers/*.cc", "sdk/*.cc", "components/*.cc"]


def production_files():
    out = subprocess.run(["git", "ls-files", *PRODUCTION], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def compile_commands(build):
    """Maps each source (absolute path) to its compile command entry."""
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    table = {}
    for entry in entries:
        path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
        table.setdefault(path, entry)
    return table


def preprocess(entry):
    """The translation unit as the compiler sees it: the compile command with -E instead of -c."""
    args = shlex.split(entry["command"])
    if args and args[0] == "ccache":
        args = args[1:]
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MQ", "-MT"):
            skip = True
            continue
        if arg in ("-c", "-MD", "-MMD") or arg.startswith("-fdiagnostics-color"):
            continue
        kept.append(arg)
    result = subprocess.run(kept + ["-E", "-P"], cwd=entry["directory"], capture_output=True)
    return result.stdout if result.returncode == 0 else None


def cache_key(entry, config_digest):
    unit = preprocess(entry)
    if unit is None:
        return None
    return hashlib.sha256(config_digest + unit).hexdigest()


def lint_one(path, entry, build, cache_dir, config_digest):
    """Returns (path, findings text or '', skipped-from-cache)."""
    key = cache_key(entry, config_digest) if entry else None
    stamp = os.path.join(cache_dir, key) if key else None
    if stamp and os.path.exists(stamp):
        return path, "", True
    result = subprocess.run(["clang-tidy", "-p", build, "--quiet", path], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        lines = [l for l in result.stdout.splitlines() if "error:" in l or "warning:" in l]
        return path, "\n".join(lines[:20]) or result.stderr.strip()[-2000:], False
    if stamp:
        os.makedirs(cache_dir, exist_ok=True)
        open(stamp, "w").close()
    return path, "", False


def main():
    build = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
    cache_dir = os.environ.get("PLUGHOST_LINT_CACHE",
                               os.path.expanduser("~/.cache/plughost-lint"))
    files = sys.argv[1:] or production_files()
    if not files:
        print("lint: no files")
        return 0
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True).stdout
    with open(os.path.join(ROOT, ".clang-tidy"), "rb") as f:
        config_digest = hashlib.sha256(version + f.read()).digest()
    commands = compile_commands(build)
    jobs = int(os.environ.get("LINT_JOBS", os.cpu_count() or 1))
    failed = cached = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = []
        for path in files:
            absolute = os.path.normpath(os.path.join(ROOT, path))
            if not os.path.isfile(absolute):
                continue
            futures.append(pool.submit(lint_one, path, commands.get(absolute), build, cache_dir,
                                       config_digest))
        for future in concurrent.futures.as_completed(futures):
            path, findings, from_cache = future.result()
            cached += from_cache
            if findings:
                failed += 1
                print(f"lint: {path}\n{findings}", flush=True)
    print(f"lint: {len(futures)} file(s), {cached} unchanged since a clean run, "
          f"{failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
