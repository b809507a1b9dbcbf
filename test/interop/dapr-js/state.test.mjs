// Interop: the official Dapr JS SDK (@dapr/dapr, gRPC protocol) against a running plughost.
//
//   PLUGHOST_PORT  the host's app-facing gRPC port on 127.0.0.1 (required; support.mjs)
//   STORES         comma-separated state store names to exercise (default "statestore")
//
// run_dapr_js.sh starts the host and the C++ sample component, then runs this file with
// `node --test`. Every check goes through the SDK's public API, so a host that differs from
// daprd where the SDK can see it fails here.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { StateConcurrencyEnum } from "@dapr/dapr";

import { ABORTED, INVALID_ARGUMENT, expectGrpcError, newClient, run } from "./support.mjs";

const stores = (process.env.STORES ?? "statestore")
  .split(",")
  .map((name) => name.trim())
  .filter(Boolean);

const client = newClient();

before(async () => {
  // Polls GetMetadata until the host answers, as an app would at startup.
  await client.start();
});

after(async () => {
  await client.stop();
});

// The SDK's get() returns only the value; getBulk() also returns each item's etag.
async function etagOf(store, key) {
  const [item] = await client.state.getBulk(store, [key]);
  assert.equal(item?.key, key);
  assert.equal(typeof item.etag, "string");
  assert.notEqual(item.etag, "", `expected an etag for ${key} in ${store}`);
  return item.etag;
}

// An etag that names no version of the key: well-formed for stores with numeric versions
// (both stores under test) and still wrong for any other scheme.
function wrongEtag(etag) {
  return /^\d+$/.test(etag) ? (BigInt(etag) + 1000n).toString() : `${etag}-stale`;
}

test("metadata lists every store under test", async () => {
  const metadata = await client.metadata.get();
  // One socket may serve several kinds under one name (the sample also serves a hello service),
  // so look for the state store entry by name and type.
  const listed = metadata.components.map((c) => `${c.name} (${c.type})`).join(", ");
  for (const store of stores) {
    const component = metadata.components.find(
      (c) => c.name === store && c.type.startsWith("state."),
    );
    assert.ok(component, `metadata has no state store ${store}: ${listed}`);
    // The features this file relies on below.
    for (const feature of ["ETAG", "TRANSACTIONAL"]) {
      assert.ok(
        component.capabilities.includes(feature),
        `${store} lacks ${feature}: ${JSON.stringify(component.capabilities)}`,
      );
    }
  }
});

test("an unknown store is rejected with 'is not found'", async () => {
  const missing = `no-such-store-${run}`;
  await expectGrpcError(
    client.state.get(missing, "k"),
    INVALID_ARGUMENT,
    new RegExp(`${missing} is not found`),
  );
  await expectGrpcError(
    client.state.save(missing, [{ key: "k", value: "v" }]),
    INVALID_ARGUMENT,
    /is not found/,
  );
});

for (const store of stores) {
  describe(`state store ${store}`, () => {
    const key = (name) => `${run}-${name}`;

    test("save several items, then get each back", async () => {
      await client.state.save(store, [
        { key: key("object"), value: { name: "plughost", tags: ["a", "b"], n: 1 } },
        { key: key("string"), value: "hello" },
        { key: key("number"), value: 42 },
      ]);
      assert.deepEqual(await client.state.get(store, key("object")), {
        name: "plughost",
        tags: ["a", "b"],
        n: 1,
      });
      assert.equal(await client.state.get(store, key("string")), "hello");
      assert.equal(await client.state.get(store, key("number")), 42);
      // A missing key is not an error: the SDK sees empty data.
      assert.equal(await client.state.get(store, key("never-saved")), "");
    });

    test("getBulk returns every key asked for, with data and etags", async () => {
      const items = await client.state.getBulk(store, [
        key("object"),
        key("string"),
        key("never-saved"),
      ]);
      const byKey = new Map(items.map((item) => [item.key, item]));
      assert.equal(items.length, 3, `items: ${JSON.stringify(items)}`);
      assert.deepEqual(byKey.get(key("object")).data, { name: "plughost", tags: ["a", "b"], n: 1 });
      assert.equal(byKey.get(key("string")).data, "hello");
      assert.notEqual(byKey.get(key("string")).etag, "");
      assert.equal(byKey.get(key("never-saved")).data, "");
      assert.equal(byKey.get(key("never-saved")).etag, "");
    });

    test("delete removes a key", async () => {
      await client.state.delete(store, key("number"));
      assert.equal(await client.state.get(store, key("number")), "");
      // Deleting what is not there succeeds, as in Dapr.
      await client.state.delete(store, key("number"));
    });

    test("transaction upserts and deletes in one call", async () => {
      await client.state.save(store, [
        { key: key("tx-keep"), value: "before" },
        { key: key("tx-drop"), value: "doomed" },
      ]);
      await client.state.transaction(store, [
        { operation: "upsert", request: { key: key("tx-keep"), value: "after" } },
        { operation: "upsert", request: { key: key("tx-new"), value: JSON.stringify({ v: 7 }) } },
        { operation: "delete", request: { key: key("tx-drop") } },
      ]);
      assert.equal(await client.state.get(store, key("tx-keep")), "after");
      assert.deepEqual(await client.state.get(store, key("tx-new")), { v: 7 });
      assert.equal(await client.state.get(store, key("tx-drop")), "");
    });

    test("etag conflicts fail with ABORTED; the current etag succeeds", async () => {
      const k = key("etag");
      const firstWrite = { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE };
      await client.state.save(store, [{ key: k, value: "v1" }]);
      const etag1 = await etagOf(store, k);

      await expectGrpcError(
        client.state.save(store, [
          { key: k, value: "wrong", etag: wrongEtag(etag1), options: firstWrite },
        ]),
        ABORTED,
        /etag mismatch/,
      );
      assert.equal(await client.state.get(store, k), "v1", "a rejected save changed the value");

      // First-write without any etag cannot overwrite an existing key.
      await expectGrpcError(
        client.state.save(store, [{ key: k, value: "blind", options: firstWrite }]),
        ABORTED,
        /etag mismatch/,
      );
      assert.equal(await client.state.get(store, k), "v1", "a rejected save changed the value");

      await client.state.save(store, [{ key: k, value: "v2", etag: etag1, options: firstWrite }]);
      assert.equal(await client.state.get(store, k), "v2");
      const etag2 = await etagOf(store, k);
      assert.notEqual(etag2, etag1, "a write must change the etag");

      // The etag read before the last write is now stale.
      await expectGrpcError(
        client.state.save(store, [{ key: k, value: "stale", etag: etag1, options: firstWrite }]),
        ABORTED,
        /etag mismatch/,
      );

      await expectGrpcError(
        client.state.delete(store, k, { ...firstWrite, etag: wrongEtag(etag2) }),
        ABORTED,
        /etag mismatch/,
      );
      assert.equal(await client.state.get(store, k), "v2", "a rejected delete removed the key");
      await client.state.delete(store, k, { ...firstWrite, etag: etag2 });
      assert.equal(await client.state.get(store, k), "");
    });

    test("a store's own INVALID_ARGUMENT keeps its words, not an etag's", async () => {
      const k = key("ttl");
      // Both stores under test refuse a ttlInSeconds that is not an integer.
      await expectGrpcError(
        client.state.save(store, [{ key: k, value: "v", metadata: { ttlInSeconds: "soon" } }]),
        INVALID_ARGUMENT,
        new RegExp(`^failed saving state in state store ${store}: (?!invalid etag value).*soon`),
      );
      assert.equal(await client.state.get(store, k), "", "a refused save wrote the key");
    });

    // A built-in marks a malformed ETag itself; a pluggable store's mark comes from the socket
    // wrapper decoding Dapr's error details (a BadRequest violation on "etag").
    test(
      "a malformed etag is INVALID_ARGUMENT worded as an etag error",
      async () => {
        const k = key("bad-etag");
        await client.state.save(store, [{ key: k, value: "v1" }]);
        await expectGrpcError(
          client.state.save(store, [{ key: k, value: "v2", etag: "not-a-version" }]),
          INVALID_ARGUMENT,
          new RegExp(`^failed saving state in state store ${store}: invalid etag value: `),
        );
        assert.equal(await client.state.get(store, k), "v1", "a refused save changed the value");
      },
    );
  });
}
