#!/usr/bin/python3
"""Runs the walkthrough blocks of docs/component-authors.md exactly as written.

Each fenced `sh` block that follows a `<!-- walkthrough:NAME -->` marker runs in bash
(errexit, pipefail) in a fresh empty folder outside the repository, with PLUGHOST pointing at a
checkout whose build/ is the build under test. The test fails when a block fails or its
conformance run does not end with "0 failed".

usage: walkthrough_test.py SOURCE_ROOT BUILD_DIR NAME
"""

import os
import re
import subprocess
import sys
import tempfile


def block(doc_text, name):
    match = re.search(r"<!-- walkthrough:" + re.escape(name) + r" -->\s*```sh\n(.*?)```",
                      doc_text, re.S)
    if not match:
        sys.exit(f"no walkthrough:{name} block in docs/component-authors.md")
    return match.group(1)


def main():
    source, build, name = sys.argv[1:4]
    with open(os.path.join(source, "docs", "component-authors.md")) as doc:
        script = block(doc.read(), name)
    with tempfile.TemporaryDirectory(prefix="plughost-author-") as scratch:
        # A checkout as the author has it: the sources, with the build under test at build/.
        checkout = os.path.join(scratch, "plughost")
        os.mkdir(checkout)
        for entry in ("scripts", "examples", "protos"):
            os.symlink(os.path.join(source, entry), os.path.join(checkout, entry))
        os.symlink(os.path.abspath(build), os.path.join(checkout, "build"))
        work = os.path.join(scratch, "work")
        os.mkdir(work)
        env = dict(os.environ, PLUGHOST=checkout)
        for variable in ("PLUGHOST_SOCKETS_DIR", "PLUGHOST_PYTHON_STUBS", "PLUGHOST_PROTOS_DIR"):
            env.pop(variable, None)
        print(f"--- walkthrough:{name} in {work}\n{script}", flush=True)
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=600)
        print(result.stdout)
        if result.returncode != 0:
            sys.exit(f"walkthrough:{name} failed with exit code {result.returncode}")
        if not re.search(r"^\d+ passed, 0 failed", result.stdout, re.M):
            sys.exit(f"walkthrough:{name}: the conformance run did not end with 0 failed")


if __name__ == "__main__":
    main()
