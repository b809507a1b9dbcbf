#!/usr/bin/env python3
"""Writes the api_fuzzer seed corpus (fuzz/corpus/api_fuzzer/): one well-formed request per
method of interest. A seed is the method's index in api_fuzzer.cc's kMethods, then the request
serialized by hand (field numbers from protos/), so no generated code is needed."""
import os
import sys

def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)

def field(number, value):
    """Length-delimited (str, bytes, nested message) or varint (int) field."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(number << 3 | 2) + varint(len(value)) + value

def msg(*fields):
    return b"".join(fields)

def entry(number, key, value):  # one map<string, string> entry
    return field(number, msg(field(1, key), field(2, value)))

def STATE_ITEM(key, value=None, *extra):  # common.v1.StateItem: key 1, value 2, etag 3, ...
    return msg(field(1, key), field(2, value) if value else b"", *extra)

SEEDS = {
    "get_state": (0, msg(field(1, "statestore"), field(2, "k1"))),
    "get_bulk_state": (1, msg(field(1, "statestore"), field(2, "a"), field(2, "b"), field(3, 2))),
    "save_state": (2, msg(field(1, "statestore"), field(2, STATE_ITEM(
        "k1", "v1", field(3, msg(field(1, "1"))), entry(4, "ttlInSeconds", "10"))))),
    "save_state_prefixed": (2, msg(field(1, "prefixed"), field(2, STATE_ITEM("k", "v")))),
    "query_state": (3, msg(field(1, "statestore"), field(2, '{"filter":{"EQ":{"a":"b"}}}'))),
    "delete_state": (4, msg(field(1, "statestore"), field(2, "k1"))),
    "delete_bulk_state": (5, msg(field(1, "statestore"), field(2, STATE_ITEM("k1")))),
    "transaction": (6, msg(field(1, "statestore"),
                           field(2, msg(field(1, "upsert"), field(2, STATE_ITEM("t", "v")))),
                           field(2, msg(field(1, "delete"), field(2, STATE_ITEM("k1")))))),
    "publish_json": (7, msg(field(1, "pubsub"), field(2, "orders"), field(3, '{"a":1}'),
                            field(4, "application/json"))),
    "publish_cloudevent": (7, msg(field(1, "pubsub"), field(2, "orders"), field(3,
        '{"specversion":"1.0","id":"1","source":"s","type":"t","data":"x"}'),
        field(4, "application/cloudevents+json"), entry(5, "ttlInSeconds", "5"))),
    "bulk_publish": (9, msg(field(1, "pubsub"), field(2, "orders"),
                            field(3, msg(field(1, "e1"), field(2, "hello"),
                                         field(3, "text/plain"))),
                            field(3, msg(field(1, "e2"), field(2, '{"b":2}'),
                                         field(3, "application/json"))))),
    "subscribe_topic": (10, msg(field(1, msg(field(1, "pubsub"), field(2, "orders"))))),
    "binding_create": (11, msg(field(1, "files"), field(2, "data"), entry(3, "fileName", "a.txt"),
                              field(4, "create"))),
    "binding_get": (11, msg(field(1, "files"), entry(3, "fileName", "a.txt"), field(4, "get"))),
    "binding_list": (11, msg(field(1, "files"), field(4, "list"))),
    "binding_delete": (11, msg(field(1, "files"), entry(3, "fileName", "a.txt"),
                              field(4, "delete"))),
    "get_secret": (12, msg(field(1, "secretstore"), field(2, "HOME"))),
    "get_bulk_secret": (13, msg(field(1, "secretstore"))),
    "get_configuration": (14, msg(field(1, "configstore"), field(2, "k"))),
    "subscribe_configuration": (15, msg(field(1, "configstore"), field(2, "k"))),
    "unsubscribe_configuration": (16, msg(field(1, "configstore"), field(2, "id"))),
    "try_lock": (17, msg(field(1, "lockstore"), field(2, "r"), field(3, "o"), field(4, 10))),
    "unlock": (18, msg(field(1, "lockstore"), field(2, "r"), field(3, "o"))),
    "get_metadata": (19, b""),
    "set_metadata": (20, msg(field(1, "k"), field(2, "v"))),
    "say_hello": (22, msg(field(1, "helloworld"), field(2, "fuzz"))),
    "get_next_id": (23, msg(field(1, "sequencer"), field(2, "k"))),
    "layotto_try_lock": (24, msg(field(1, "lockstore"), field(2, "r"), field(3, "o"),
                                 field(4, 10))),
    "layotto_unlock": (25, msg(field(1, "lockstore"), field(2, "r"), field(3, "o"))),
    "layotto_get_configuration": (26, msg(field(1, "configstore"), field(2, "app"),
                                          field(5, "k"))),
}

# Hostile shapes: nested far deeper than any real document (these used to overflow the stack),
# very wide, and very large; each file stays under 300 KB.
def NESTED(depth, inner=""):
    return "[" * depth + inner + "]" * depth

DEEP = NESTED(100_000)
SEEDS.update({
    "publish_deep_json": (7, msg(field(1, "pubsub"), field(2, "orders"), field(3, DEEP),
                                 field(4, "application/json"))),
    "publish_deep_raw": (7, msg(field(1, "pubsub"), field(2, "orders"), field(3, DEEP),
                                field(4, "application/json"), entry(5, "rawPayload", "true"))),
    "publish_deep_cloudevent": (7, msg(field(1, "pubsub"), field(2, "orders"),
                                       field(3, '{"id":"1","data":' + DEEP + "}"),
                                       field(4, "application/cloudevents+json"))),
    "publish_wide_json": (7, msg(field(1, "pubsub"), field(2, "orders"),
                                 field(3, "[" + ",".join(["1"] * 100_000) + "]"),
                                 field(4, "application/json"))),
    "publish_huge_string": (7, msg(field(1, "pubsub"), field(2, "orders"),
                                   field(3, '"' + "x" * 250_000 + '"'),
                                   field(4, "application/json"))),
    "query_deep_filter": (3, msg(field(1, "statestore"), field(2,
        '{"filter":{"AND":' + NESTED(60_000, '{"EQ":{"a":1}}') + "}}"))),
    "query_wide_filter": (3, msg(field(1, "statestore"), field(2,
        '{"filter":{' + ",".join(f'"k{i}":{{"EQ":{{"a":{i}}}}}' for i in range(10_000)) + "}}"))),
    "query_sort_numeric_order": (3, msg(field(1, "statestore"),
                                        field(2, '{"sort":[{"key":"a","order":1}]}'))),
    "query_page_wrong_types": (3, msg(field(1, "statestore"),
                                      field(2, '{"page":{"limit":"x","token":7},"sort":{}}'))),
})

def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "api_fuzzer")
    os.makedirs(folder, exist_ok=True)
    for name, (method, request) in SEEDS.items():
        with open(os.path.join(folder, name), "wb") as out:
            out.write(bytes([method]) + request)

if __name__ == "__main__":
    main()
