// Interop, distributed lock: DaprClient's lock() and unlock() on the built-in lock.in-memory and
// the pluggable sample: a second owner is refused, and unlock answers each of its statuses.
//
//   PLUGHOST_PORT  the host's gRPC port (support.mjs)
//   LOCK_STORES    comma-separated lock store names (default "lockstore")
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

// The SDK's own enum for unlock results; its index does not re-export it.
import { LockStatus } from "@dapr/dapr/types/lock/UnlockResponse.js";

import { INVALID_ARGUMENT, expectGrpcError, newClient, run } from "./support.mjs";

const stores = (process.env.LOCK_STORES ?? "lockstore").split(",").filter(Boolean);
const client = newClient();

before(async () => {
  await client.start();
});

after(async () => {
  await client.stop();
});

for (const store of stores) {
  describe(`lock store ${store}`, () => {
    test("one owner at a time; unlock says who holds what", async () => {
      const resource = `${run}-order-42`;
      assert.deepEqual(await client.lock.lock(store, resource, "owner-a", 60), { success: true });
      // Held: another owner is refused, and so is the same owner (locks are not reentrant).
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
      // Free again: the other owner gets it now.
      assert.deepEqual(await client.lock.lock(store, resource, "owner-b", 60), { success: true });
      await client.lock.unlock(store, resource, "owner-b");
    });

    test("bad requests get Dapr's errors", async () => {
      await expectGrpcError(
        client.lock.lock(store, `${run}-r`, "owner-a", 0),
        INVALID_ARGUMENT,
        `ExpiryInSeconds is not positive in lock store ${store}`,
      );
      await expectGrpcError(
        client.lock.lock(store, "", "owner-a", 10),
        INVALID_ARGUMENT,
        `ResourceId is empty in lock store ${store}`,
      );
      await expectGrpcError(
        client.lock.unlock(store, `${run}-r`, ""),
        INVALID_ARGUMENT,
        `LockOwner is empty in lock store ${store}`,
      );
    });
  });
}

test("an unknown lock store gets Dapr's error", async () => {
  const name = `nope-${run}`;
  await expectGrpcError(
    client.lock.lock(name, "r", "o", 10),
    INVALID_ARGUMENT,
    `lock store ${name} not found`,
  );
});
