#!/usr/bin/env python3
"""Fails when a source file includes across areas along an edge that is not allowed.

The allowed edges are the layering of docs/architecture.md: an area may include only the areas
listed for it (and itself). Generated protos, third-party and system headers are not checked.
Run from anywhere: `scripts/check_includes.py`; exit 1 lists every offending include.
"""
import os
import re
import sys

# area -> the areas it may include. Lower layers first.
ALLOWED = {
    "common": set(),
    "host/common": {"common"},
    "host/components": {"common", "host/common"},
    "host/config": {"common", "host/common", "host/components"},
    "host/pubsub": {"common", "host/common"},
    "host/state": {"common", "host/common", "host/components"},
    # Resiliency policies: retry waits, outbound decorators over the native interfaces.
    "host/resiliency": {"common", "host/common", "host/components", "host/config",
                        "host/pubsub"},
    "host/registry": {"common", "host/common", "host/components"},
    "host/discovery": {"common", "host/common", "host/components"},
    "host/builtins": {"common", "host/common", "host/components", "host/registry"},
    "wrappers": {"common", "host/common", "host/components", "host/registry", "host/discovery"},
    "host/lifecycle": {"common", "host/common", "host/components", "host/registry",
                       "host/discovery"},
    "host/processes": {"common", "host/common", "host/config"},
    "host/ops": {"common", "host/common", "host/components", "host/registry", "host/lifecycle",
                 "host/processes", "host/http"},
    "host/http": {"common", "host/common"},
    "host/app_callback": {"common", "host/common", "host/components", "host/registry",
                          "host/config", "host/pubsub", "host/state", "host/resiliency",
                          "host/ops"},
    # The HTTP app channel: daprd's HTTP calls to the app behind the AppCallback service.
    "host/app_http": {"common", "host/common", "host/app_callback"},
    "host/api": {"common", "host/common", "host/components", "host/registry", "host/config",
                 "host/pubsub", "host/state", "host/ops", "host/app_callback", "host/http", "host/resiliency"},
    "host/conformance": {"common", "host/common", "host/components", "host/registry",
                         "host/discovery", "wrappers"},
    "host/runtime": {"common", "host/common", "host/components", "host/config", "host/pubsub",
                     "host/state",
                     "host/resiliency",
                     "host/registry", "host/discovery", "host/builtins", "wrappers",
                     "host/lifecycle", "host/processes", "host/ops", "host/http",
                     "host/app_callback", "host/app_http", "host/api"},
    "host/app": {"common", "host/common", "host/components", "host/config", "host/discovery",
                 "host/registry", "host/conformance", "host/runtime", "host/processes"},
    # The SDK and what is built on it never see the host.
    "sdk/cpp": {"common"},
    "components": {"common", "sdk/cpp"},
    "examples": {"common", "sdk/cpp"},
}
# Tests, benchmarks and fuzz targets may include anything they exercise.
UNCHECKED = {"test", "bench", "fuzz", "protos", "build"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def area_of(path):
    parts = path.split("/")
    if parts[0] == "host" and len(parts) > 2:
        return "host/" + parts[1]
    if parts[0] == "sdk":
        return "sdk/cpp"
    return parts[0]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    known = set(ALLOWED) | UNCHECKED
    problems = []
    for directory, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        dirs[:] = [d for d in dirs if not d.startswith((".", "build")) and d != "node_modules"]
        for name in files:
            if not name.endswith((".h", ".cc", ".hpp", ".cpp")):
                continue
            path = os.path.normpath(os.path.join(rel_dir, name))
            area = area_of(path)
            if area in UNCHECKED:
                continue
            if area not in known:
                problems.append(f"{path}: area '{area}' has no entry in scripts/check_includes.py")
                continue
            with open(os.path.join(root, path), errors="replace") as source:
                for number, line in enumerate(source, 1):
                    match = INCLUDE.match(line)
                    if not match or "/" not in match.group(1):
                        continue
                    target = area_of(match.group(1))
                    if target not in known or target == area or target in UNCHECKED:
                        continue  # generated protos, system headers, own area
                    if target not in ALLOWED[area]:
                        problems.append(f"{path}:{number}: {area} -> {target} "
                                        f"(#include \"{match.group(1)}\") is not an allowed edge")
    for problem in problems:
        print(problem)
    print(f"check_includes: {len(problems)} disallowed include edge(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
