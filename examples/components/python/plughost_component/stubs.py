"""Finds the generated Python modules (messages and gRPC stubs) and puts them on sys.path.

They are generated at build time (examples/components/python/meson.build), not committed. The
directory is the first of:

1. the `--stubs DIR` argument;
2. the PLUGHOST_PYTHON_STUBS environment variable;
3. `stubs/` beside this package, where `scripts/component-kit.sh python DIR` writes them for a
   component kept outside the repository;
4. build/examples/components/python/stubs under the repository root (what `make build` makes).
"""

import os
import sys
from pathlib import Path

ENV_VARIABLE = "PLUGHOST_PYTHON_STUBS"
BESIDE_PACKAGE_DIR = Path(__file__).resolve().parents[1] / "stubs"
REPOSITORY_BUILD_DIR = (Path(__file__).resolve().parents[4] / "build" / "examples" / "components"
                        / "python" / "stubs")
DEFAULT_DIR = BESIDE_PACKAGE_DIR if BESIDE_PACKAGE_DIR.is_dir() else REPOSITORY_BUILD_DIR
# A module every stub directory holds; its absence means the directory is wrong or unbuilt.
_PROBE = Path("dapr") / "proto" / "components" / "v1" / "state_pb2.py"


def _from_argv(argv):
    for index, arg in enumerate(argv):
        if arg == "--stubs" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--stubs="):
            return arg[len("--stubs="):]
    return None


def stubs_dir(argv=None, environ=None):
    """The directory to import generated modules from (not checked)."""
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    return Path(_from_argv(argv) or environ.get(ENV_VARIABLE) or DEFAULT_DIR)


def install(argv=None, environ=None):
    """Puts the stub directory first on sys.path; exits 1 with a hint if it holds no stubs."""
    directory = stubs_dir(argv, environ)
    if not (directory / _PROBE).is_file():
        sys.stderr.write(
            f"generated Python stubs not found in {directory}\n"
            f"write them beside your component with `scripts/component-kit.sh python DIR` (or, in\n"
            f"the repository, `ninja -C build examples/components/python/stubs.stamp`), or pass\n"
            f"--stubs DIR or set {ENV_VARIABLE} if they are not in {DEFAULT_DIR}\n")
        sys.exit(1)
    sys.path.insert(0, str(directory))
    return directory
