// Interop, configuration: DaprClient gets items, subscribes, sees changes arrive and stops its
// subscription, on the built-in configuration.in-memory (items from a JSON file the test
// rewrites) and on the pluggable sample (items from metadata, changed through its __set__.
// hook).
//
//   PLUGHOST_PORT  the host's gRPC port (support.mjs)
//   CONFIG_FILE    the JSON file behind the host's "configstore"; it starts as
//                  {"color": "blue", "size": "10"}
// "sample-config" is the sample with items color=blue and size=10 at version "1".
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rename, writeFile } from "node:fs/promises";

import { INVALID_ARGUMENT, eventually, expectGrpcError, newClient, run } from "./support.mjs";

const configFile = process.env.CONFIG_FILE;
if (!configFile) throw new Error("CONFIG_FILE must name the configstore's file");

const client = newClient();

before(async () => {
  await client.start();
});

after(async () => {
  await client.stop();
});

// Replaces the file in one step, so the store never reads half a file.
async function writeConfigFile(items) {
  const staging = `${configFile}.${process.pid}.tmp`;
  await writeFile(staging, JSON.stringify(items));
  await rename(staging, configFile);
}

// How each store under test changes an item's value.
const stores = {
  configstore: async (key, value) => {
    await writeConfigFile({ color: "blue", size: "10", [key]: value });
  },
  "sample-config": async (key, value) => {
    await client.configuration.get("sample-config", [key], { [`__set__.${key}`]: value });
  },
};

for (const [store, setItem] of Object.entries(stores)) {
  describe(`configuration store ${store}`, () => {
    test("get returns the asked items with value and version", async () => {
      const { items } = await client.configuration.get(store, ["color", "size"]);
      assert.deepEqual(Object.keys(items).sort(), ["color", "size"]);
      assert.equal(items.color.key, "color");
      assert.equal(items.color.value, "blue");
      assert.equal(items.color.version, "1");
      assert.equal(items.size.value, "10");
      // No keys asks for every item.
      const all = await client.configuration.get(store, []);
      assert.ok("color" in all.items && "size" in all.items, JSON.stringify(all.items));
    });

    test("a subscription sees a change arrive, and stop() ends it", async () => {
      const key = `live-${run}`;
      const seen = [];
      const subscription = await client.configuration.subscribeWithKeys(store, [key], (update) =>
        seen.push(update.items),
      );
      try {
        // The subscription opens in the background; change the item until a change arrives,
        // each time with a new value, so a write made before it opened is not waited for.
        let attempt = 0;
        const arrived = await eventually(`a change of ${key} on ${store}`, async () => {
          const found = seen.find((items) => items[key]?.value.startsWith("v"));
          if (found) return found;
          await setItem(key, `v${++attempt}`);
          await new Promise((resolve) => setTimeout(resolve, 300));
          return seen.find((items) => items[key]?.value.startsWith("v"));
        });
        assert.equal(arrived[key].key, key);
        assert.notEqual(arrived[key].version, "");
        // Only the subscribed key is sent.
        for (const items of seen) assert.deepEqual(Object.keys(items), [key]);
      } finally {
        await subscription.stop();
      }
    });
  });
}

test("stop() closes the store's subscription (the sample counts them)", async () => {
  const openSubscriptions = async () => {
    const { items } = await client.configuration.get("sample-config", ["color"], {
      __subscribers__: "?",
    });
    return Number(items.__subscribers__?.value);
  };
  const initially = await openSubscriptions();
  assert.ok(Number.isInteger(initially), `the sample answered ${initially} subscriptions`);
  const subscription = await client.configuration.subscribeWithKeys(
    "sample-config",
    ["color"],
    () => {},
  );
  await eventually(
    "the subscription to reach the sample",
    async () => (await openSubscriptions()) === initially + 1,
  );
  await subscription.stop();
  await eventually(
    "the sample's subscription to close",
    async () => (await openSubscriptions()) === initially,
  );
});

test("an unknown configuration store gets Dapr's error", async () => {
  const name = `nope-${run}`;
  await expectGrpcError(
    client.configuration.get(name, ["color"]),
    INVALID_ARGUMENT,
    `configuration store ${name} not found`,
  );
});
