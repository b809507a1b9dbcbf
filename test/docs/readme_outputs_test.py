#!/usr/bin/python3
"""Checks the README's example outputs against what the binary prints, so the README cannot drift.

Each example the README shows as output (the error lines in its plain ``` blocks, the /readyz and
GetMetadata lines of a launched process, the subcommands of the usage block) is reproduced here
by running the real plughost, and compared with the README's text: exactly for error lines,
with numbers (pids, counts, seconds) normalised for the status lines. Every `plughost: ` line
of a plain ``` block must be covered by a case below, so a new example needs a case.

usage: readme_outputs_test.py SOURCE_ROOT PLUGHOST_BIN
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

FAILURES = []


def fail(message):
    FAILURES.append(message)
    print("FAIL: " + message, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def normalise(text):
    """Numbers vary from run to run (pids, restart counts, backoff seconds)."""
    return re.sub(r"\d+(\.\d+)?", "N", re.sub(r"\s+", " ", text).strip())


def plain_block_lines(readme):
    """Lines of the README's ``` blocks that name no language: its example outputs."""
    lines, fence = [], None  # fence: the open block's language ("" for none)
    for line in readme.splitlines():
        if line.startswith("```"):
            fence = line[3:].strip() if fence is None else None
        elif fence == "":
            lines.append(line)
    return lines


def inline_quote(readme, pattern):
    """The README's inline `code` matching pattern, whitespace collapsed (it may wrap)."""
    flat = re.sub(r"\s+", " ", readme)
    match = re.search(r"`(" + pattern + r"[^`]*)`", flat)
    return match.group(1) if match else None


def run_host(plughost, work, args, timeout=30):
    """Runs plughost to its exit (a refused config); returns (exit code, stderr lines)."""
    result = subprocess.run([plughost, *args, "--sockets-dir", os.path.join(work, "s"),
                             "--grpc-address", f"127.0.0.1:{free_port()}", "--http-address",
                             "off", "--ops-address", "off"],
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=timeout)
    return result.returncode, result.stderr.splitlines()


def check_error_line(readme_lines, prefix, plughost, work, args):
    """The README's line starting with prefix is one of the lines the refused host prints."""
    shown = [line for line in readme_lines if line.startswith(prefix)]
    if len(shown) != 1:
        fail(f"expected one README example line starting {prefix!r}, found {len(shown)}")
        return set()
    code, printed = run_host(plughost, work, args)
    if code != 2:
        fail(f"{args}: exit {code}, the README says 2")
    if shown[0] not in printed:
        fail(f"README shows\n  {shown[0]}\nthe host printed\n  " + "\n  ".join(printed))
    else:
        print(f"ok: {shown[0]}", flush=True)
    return {shown[0]}


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:  # /readyz answers 503 with its reasons
        return error.read().decode()
    except OSError:
        return ""


class LaunchingHost:
    """A host running a config with `processes`, with its HTTP API and operator endpoints."""

    def __init__(self, plughost, work, processes, extra_args=()):
        os.makedirs(os.path.join(work, "s"), mode=0o750, exist_ok=True)
        config = os.path.join(work, "processes.json")
        with open(config, "w") as out:
            json.dump({"app_id": "readme", "components": [], "processes": processes}, out)
        self.http = free_port()
        self.ops = free_port()
        self.log = open(os.path.join(work, "host.log"), "w")
        self.process = subprocess.Popen(
            [plughost, "--config", config, "--sockets-dir", os.path.join(work, "s"),
             "--grpc-address", f"127.0.0.1:{free_port()}",
             "--http-address", f"127.0.0.1:{self.http}",
             "--ops-address", f"127.0.0.1:{self.ops}", "--init-timeout", "300", *extra_args],
            cwd=work, stdout=self.log, stderr=subprocess.STDOUT)

    def eventually(self, probe, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            if self.process.poll() is not None:
                return None
            time.sleep(0.05)
        return None

    def process_status(self, name):
        body = http_get(f"http://127.0.0.1:{self.http}/v1.0/metadata")
        try:
            return json.loads(body).get("extended", {}).get("plughost.process." + name, "")
        except ValueError:
            return ""

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def check_readyz_line(readme, plughost, work):
    shown = inline_quote(readme, r"process crasher: ")
    if shown is None:
        fail("the README no longer quotes a /readyz line `process crasher: ...`")
        return
    # A process that exits with status 7 at once; a low cap so it reaches it quickly.
    host = LaunchingHost(plughost, work,
                         [{"name": "crasher", "command": ["sh", "-c", "exit 7"]}],
                         ["--restart-max-backoff", "300"])
    try:
        readyz = f"http://127.0.0.1:{host.ops}/readyz"
        wanted = normalise(shown)
        got = host.eventually(lambda: next(
            (line for line in http_get(readyz).splitlines() if normalise(line) == wanted), None))
        if got is None:
            fail(f"README shows /readyz line\n  {shown}\n/readyz answered\n  {http_get(readyz)}")
        else:
            print(f"ok: {shown}  (real: {got})", flush=True)
    finally:
        host.stop()


def check_metadata_line(readme, plughost, work):
    shown = inline_quote(readme, r"running \(pid ")
    if shown is None:
        fail("the README no longer quotes a GetMetadata value `running (pid ...`")
        return
    host = LaunchingHost(plughost, work, [{"name": "sleeper", "command": ["sleep", "600"]}])
    try:
        first = host.eventually(lambda: re.match(r"running \(pid (\d+)",
                                                 host.process_status("sleeper")))
        if first is None:
            fail("the launched process never showed as running: " +
                 host.process_status("sleeper"))
            return
        os.kill(int(first.group(1)), signal.SIGKILL)
        wanted = normalise(shown)
        got = host.eventually(lambda: (lambda status: status if normalise(status) == wanted
                                       else None)(host.process_status("sleeper")))
        if got is None:
            fail(f"README shows GetMetadata value\n  {shown}\nthe host answered\n  "
                 f"{host.process_status('sleeper')}")
        else:
            print(f"ok: {shown}  (real: {got})", flush=True)
    finally:
        host.stop()


def check_usage_block(readme, plughost):
    """Each command of the README's usage block is a usage line of --help."""
    match = re.search(r"## Command line\s*```\n(.*?)```", readme, re.S)
    if not match:
        fail("the README's Command line section has no usage block")
        return
    help_text = subprocess.run([plughost, "--help"], stdout=subprocess.PIPE, text=True,
                               timeout=30).stdout
    for line in match.group(1).splitlines():
        if not line.startswith("plughost"):
            continue  # the description of the line above, wrapped
        command = re.split(r"\s{2,}", line.strip())[0]
        if command not in help_text:
            fail(f"README usage line {command!r} is not in plughost --help")
        else:
            print(f"ok: usage {command}", flush=True)


def main():
    source, plughost = sys.argv[1], os.path.abspath(sys.argv[2])
    with open(os.path.join(source, "README.md")) as file:
        readme = file.read()
    lines = plain_block_lines(readme)
    covered = set()
    with tempfile.TemporaryDirectory(prefix="plughost-readme-") as work:
        # README, "Config file": one line per error; this one from a type without a kind.
        with open(os.path.join(work, "config.json"), "w") as out:
            json.dump({"app_id": "orders", "components": [
                {"name": "statestore", "type": "state.in-memory"},
                {"name": "orderstore", "type": "redis"}]}, out)
        covered |= check_error_line(lines, "plughost: config.json: ", plughost, work,
                                    ["--config", "config.json"])
        # README, "Dapr resource files": a secretKeyRef without its name, in document 1.
        os.makedirs(os.path.join(work, "res"))
        with open(os.path.join(work, "res", "state.yaml"), "w") as out:
            out.write("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
                      "spec: {type: state.in-memory}\n---\n"
                      "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: b}\n"
                      "spec:\n  type: state.in-memory\n  metadata:\n  - name: password\n"
                      "    secretKeyRef: {key: k}\nauth: {secretStore: secretstore}\n")
        covered |= check_error_line(lines, "plughost: res/state.yaml: ", plughost, work,
                                    ["--resources-path", "res"])
        uncovered = [line for line in lines if line.startswith("plughost: ") and
                     line not in covered]
        for line in uncovered:
            fail(f"README example output has no case in {os.path.basename(__file__)}: {line}")
        check_usage_block(readme, plughost)
        check_readyz_line(readme, plughost, os.path.join(work, "crasher"))
        check_metadata_line(readme, plughost, os.path.join(work, "sleeper"))
    if FAILURES:
        sys.exit(f"{len(FAILURES)} README example(s) differ from the binary's output")
    print("every README example output matches the binary")


if __name__ == "__main__":
    main()
