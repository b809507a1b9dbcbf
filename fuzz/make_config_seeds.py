#!/usr/bin/env python3
"""Writes the hostile part of the config_fuzzer seed corpus (fuzz/corpus/config_fuzzer/): deep,
wide and huge documents (the hand-written seeds beside them cover ordinary mistakes). Each file
stays under 300 KB."""
import json
import os
import sys


def seeds():
    deep = "[" * 100_000 + "]" * 100_000
    yield "deep_array.json", deep
    yield "deep_metadata.json", ('{"app_id":"a","components":[{"name":"s","type":"state.in-memory",'
                                 '"metadata":{"k":' + "{\"a\":" * 40_000 + "1" + "}" * 40_000 + "}}]}")
    yield "deep_unclosed.json", "{\"a\":" * 50_000
    yield "wide_components.json", json.dumps({"app_id": "a", "components": [
        {"name": f"c{i}", "type": "state.in-memory"} for i in range(4_000)]})
    yield "wide_metadata.json", json.dumps({"app_id": "a", "components": [
        {"name": "s", "type": "state.in-memory",
         "metadata": {f"k{i}": str(i) for i in range(10_000)}}]})
    yield "huge_string.json", json.dumps({"app_id": "x" * 250_000, "components": []})


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "config_fuzzer")
    os.makedirs(folder, exist_ok=True)
    for name, text in seeds():
        assert len(text) < 300_000, name
        with open(os.path.join(folder, name), "w") as out:
            out.write(text)


if __name__ == "__main__":
    main()
