// Interop over HTTP: the official Dapr JS SDK with CommunicationProtocolEnum.HTTP against
// plughost's Dapr HTTP API (state, publish, secrets, bindings, lock), built-in and pluggable.
//
//   DAPR_HTTP_PORT  the host's Dapr HTTP API port on 127.0.0.1 (required)
//   STORES, PUBSUBS, LOCK_STORES  comma-separated component names to exercise
//
// run_dapr_js.sh starts the host (with --http-address) and the C++ sample component.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { CommunicationProtocolEnum, DaprClient, LogLevel } from "@dapr/dapr";
import { LockStatus } from "@dapr/dapr/types/lock/UnlockResponse.js";

import { run } from "./support.mjs";

const httpPort = process.env.DAPR_HTTP_PORT;
if (!httpPort) throw new Error("DAPR_HTTP_PORT must name the host's HTTP port");
const names = (variable, fallback) =>
  (process.env[variable] ?? fallback).split(",").map((n) => n.trim()).filter(Boolean);

const client = new DaprClient({
  daprHost: "127.0.0.1",
  daprPort: httpPort,
  communicationProtocol: CommunicationProtocolEnum.HTTP,
  logger: { level: LogLevel.Error },
});

before(async () => {
  // Polls /v1.0/healthz/outbound, as every HTTP-mode app does at startup.
  await client.start();
});

after(async () => {
  await client.stop();
});

test("metadata over HTTP names the app and its components", async () => {
  const metadata = await client.metadata.get();
  assert.equal(metadata.id, "interop-js");
  assert.ok(metadata.components.some((c) => c.name === "cpp-sample"));
});

for (const store of names("STORES", "statestore")) {
  describe(`state over HTTP on ${store}`, () => {
    const key = (name) => `${run}-${name}`;

    test("save, get, getBulk, delete", async () => {
      await client.state.save(store, [
        { key: key("a"), value: { n: 1 } },
        { key: key("b"), value: "text" },
      ]);
      assert.deepEqual(await client.state.get(store, key("a")), { n: 1 });
      assert.equal(await client.state.get(store, key("b")), "text");
      // A missing key: daprd answers 204, which the SDK returns as an empty string.
      assert.equal(await client.state.get(store, key("missing")), "");
      const bulk = await client.state.getBulk(store, [key("a"), key("missing")]);
      const a = bulk.find((item) => item.key === key("a"));
      assert.deepEqual(a.data, { n: 1 });
      assert.equal(typeof a.etag, "string");
      assert.ok(!("data" in bulk.find((item) => item.key === key("missing"))));
      await client.state.delete(store, key("a"));
      assert.equal(await client.state.get(store, key("a")), "");
    });

    test("an ETag mismatch is refused", async () => {
      await client.state.save(store, [{ key: key("e"), value: 1 }]);
      const result = await client.state.save(store, [
        { key: key("e"), value: 2, etag: "987654321" },
      ]);
      assert.ok(result.error, "a stale etag must fail the save");
      assert.equal(await client.state.get(store, key("e")), 1);
    });

    test("transaction", async () => {
      await client.state.transaction(store, [
        { operation: "upsert", request: { key: key("t1"), value: "v1" } },
        { operation: "upsert", request: { key: key("t2"), value: "v2" } },
        { operation: "delete", request: { key: key("t2") } },
      ]);
      assert.equal(await client.state.get(store, key("t1")), "v1");
      assert.equal(await client.state.get(store, key("t2")), "");
    });
  });
}

for (const pubsub of names("PUBSUBS", "pubsub")) {
  test(`publish over HTTP on ${pubsub}`, async () => {
    assert.deepEqual(await client.pubsub.publish(pubsub, `${run}-orders`, { id: 1 }), {});
    assert.deepEqual(
      await client.pubsub.publish(pubsub, `${run}-orders`, "plain", { contentType: "text/plain" }),
      {},
    );
    const bulk = await client.pubsub.publishBulk(pubsub, `${run}-orders`, [{ a: 1 }, "two"]);
    assert.deepEqual(bulk.failedMessages, []);
    const unknown = await client.pubsub.publish("no-such-pubsub", "t", { id: 1 });
    assert.ok(unknown.error, "an unknown pubsub must fail");
  });
}

test("secrets over HTTP, built-in and pluggable", async () => {
  assert.deepEqual(await client.secret.get("secretstore", "DB_PASSWORD"), {
    DB_PASSWORD: "hunter2",
  });
  assert.deepEqual(await client.secret.get("sample-secrets", "db-password"), {
    "db-password": "s3cret",
  });
  const bulk = await client.secret.getBulk("sample-secrets");
  assert.deepEqual(bulk["api-key"], { "api-key": "sample-key" });
  await assert.rejects(client.secret.get("no-such-store", "x"));
});

test("output bindings over HTTP, built-in and pluggable", async () => {
  const fileName = `${run}.json`;
  await client.binding.send("files", "create", { hello: "world" }, { fileName });
  assert.deepEqual(await client.binding.send("files", "get", undefined, { fileName }), {
    hello: "world",
  });
  const echoed = await client.binding.send("cpp-sample", "echo", { n: 7 });
  assert.deepEqual(echoed, { n: 7 });
  await assert.rejects(client.binding.send("cpp-sample", "fail", "no"));
});

for (const store of names("LOCK_STORES", "lockstore")) {
  test(`lock over HTTP on ${store}`, async () => {
    const resource = `${run}-${store}`;
    assert.deepEqual(await client.lock.lock(store, resource, "owner-a", 60), { success: true });
    assert.deepEqual(await client.lock.lock(store, resource, "owner-b", 60), { success: false });
    assert.deepEqual(await client.lock.unlock(store, resource, "owner-b"), {
      status: LockStatus.LockBelongsToOthers,
    });
    assert.deepEqual(await client.lock.unlock(store, resource, "owner-a"), {
      status: LockStatus.Success,
    });
    assert.deepEqual(await client.lock.unlock(store, resource, "owner-a"), {
      status: LockStatus.LockDoesNotExist,
    });
  });
}
