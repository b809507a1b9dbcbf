#!/usr/bin/env python3
"""An HTTP app as Dapr HTTP apps are written (Flask/Express style), for the host's HTTP app
channel test. Usage: http_app.py PORT RECORD_FILE

GET /dapr/subscribe lists v1 and v2 subscriptions; every request the host sends is appended to
RECORD_FILE as one JSON line {method, path, headers, body}. Answers:
  POST /orders        -> {"status": "SUCCESS"}
  POST /retry-once    -> {"status": "RETRY"} the first time an event id arrives, then SUCCESS
  POST /gone          -> 404 (daprd drops the event)
  POST /teapot        -> 418 once per event id (retried), then empty 200
  OPTIONS /ticker     -> 200 (handled); OPTIONS anything else -> 404
  POST /ticker        -> 200 "app saw <body>"
  POST /bulk          -> bulk envelope; per entry, by the event's data "act": "success" ->
                         SUCCESS, "drop" -> DROP, "retry-once" -> RETRY the first time,
                         "omit-once" -> left out of `statuses` the first time; else SUCCESS
  POST /bulk-gone     -> 404 (daprd drops every entry)
  POST /configuration/<store>/<key> -> 200 (a configuration update)
  GET /dapr/config    -> {"entities": ["Cart"], "actorIdleTimeout": "1h"}
  GET /healthz        -> 503 while the file RECORD_FILE + ".unhealthy" exists, else 200
"""
import os
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
RECORD = sys.argv[2]
lock = threading.Lock()
seen_ids = set()

SUBSCRIPTIONS = [
    {"pubsubname": "pubsub", "topic": "orders", "route": "/orders",
     "metadata": {"rawPayload": "false"}},
    {"pubsubname": "pubsub", "topic": "retries", "route": "retry-once"},
    {"pubsubname": "pubsub", "topic": "gone", "route": "/gone"},
    {"pubsubname": "pubsub", "topic": "teapots", "route": "/teapot"},
    {"pubsubname": "pubsub", "topic": "v2",
     "routes": {"rules": [{"match": 'event.type == "never"', "path": "/never"}],
                "default": "/orders"}},
    {"topic": "no-pubsub", "route": "/orders"},
    {"pubsubname": "pubsub", "topic": "bulk", "route": "/bulk",
     "bulkSubscribe": {"enabled": True, "maxMessagesCount": 10, "maxAwaitDurationMs": 100}},
    {"pubsubname": "pubsub", "topic": "bulk-raw", "route": "/bulk",
     "metadata": {"rawPayload": "true"},
     "bulkSubscribe": {"enabled": True, "maxMessagesCount": 10, "maxAwaitDurationMs": 100}},
    {"pubsubname": "pubsub", "topic": "bulk-gone", "route": "/bulk-gone",
     "bulkSubscribe": {"enabled": True, "maxMessagesCount": 10, "maxAwaitDurationMs": 100}},
]


def bulk_statuses(envelope):
    """The per-entry answer to a bulk delivery, as the module docstring says."""
    statuses = []
    for entry in envelope.get("entries", []):
        event = entry.get("event")
        data = event.get("data") if isinstance(event, dict) else None
        act = data.get("act") if isinstance(data, dict) else None
        with lock:
            first = ("bulk", event.get("id") if isinstance(event, dict) else event) not in seen_ids
            seen_ids.add(("bulk", event.get("id") if isinstance(event, dict) else event))
        if act == "omit-once" and first:
            continue
        status = {"drop": "DROP", "retry-once": "RETRY" if first else "SUCCESS"}.get(act, "SUCCESS")
        statuses.append({"entryId": entry["entryId"], "status": status})
    return {"statuses": statuses}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real app servers
    wbufsize = -1  # headers and body in one write, as real servers (no Nagle + delayed-ACK stall)

    def log_message(self, *args):
        pass

    def record(self, body):
        entry = {"method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body.decode("utf-8", "replace")}
        with lock:
            with open(RECORD, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def answer(self, status, body=b"", content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self.record(b"")
        if self.path == "/dapr/subscribe":
            return self.answer(200, json.dumps(SUBSCRIPTIONS).encode())
        if self.path == "/dapr/config":
            return self.answer(200, b'{"entities": ["Cart"], "actorIdleTimeout": "1h"}')
        if self.path == "/healthz":
            return self.answer(503 if os.path.exists(RECORD + ".unhealthy") else 200)
        self.answer(404)

    def do_OPTIONS(self):
        self.record(b"")
        self.answer(200 if self.path == "/ticker" else 404)

    def do_POST(self):
        body = self.read_body()
        self.record(body)
        event_id = None
        try:
            event_id = json.loads(body).get("id")
        except Exception:
            pass
        first = False
        with lock:
            if event_id is not None and (self.path, event_id) not in seen_ids:
                seen_ids.add((self.path, event_id))
                first = True
        if self.path == "/orders":
            return self.answer(200, b'{"status": "SUCCESS"}')
        if self.path == "/retry-once":
            return self.answer(200, b'{"status": "RETRY"}' if first else b'{"status": "SUCCESS"}')
        if self.path == "/gone":
            return self.answer(404)
        if self.path == "/teapot":
            return self.answer(418) if first else self.answer(200)
        if self.path == "/bulk":
            return self.answer(200, json.dumps(bulk_statuses(json.loads(body))).encode())
        if self.path == "/bulk-gone":
            return self.answer(404)
        if self.path.startswith("/configuration/"):
            return self.answer(200)
        if self.path == "/ticker":
            return self.answer(200, b"app saw " + body, "text/plain")
        self.answer(404)


ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("listening", flush=True)
server.serve_forever()
