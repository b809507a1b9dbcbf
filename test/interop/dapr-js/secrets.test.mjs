// Interop, secrets: DaprClient reads secrets and bulk secrets from the built-in local.env
// store (with its "prefix" metadata) and from the pluggable sample.
//
//   PLUGHOST_PORT  the host's gRPC port (support.mjs)
// The host runs with PLUGHOST_SECRET_DB_PASSWORD=hunter2, PLUGHOST_SECRET_API_KEY=k-123 and
// PH_JS_NOT_A_SECRET=hidden in its environment; "secretstore" is local.env with prefix
// "PLUGHOST_SECRET_"; "sample-secrets" is the sample with secrets db-password and api-key.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { INTERNAL, INVALID_ARGUMENT, expectGrpcError, newClient, run } from "./support.mjs";

const client = newClient();

before(async () => {
  await client.start();
});

after(async () => {
  await client.stop();
});

describe("secretstores.local.env with a prefix (built-in)", () => {
  test("get returns {name: value} for a variable under the prefix, named without it", async () => {
    assert.deepEqual(await client.secret.get("secretstore", "DB_PASSWORD"), {
      DB_PASSWORD: "hunter2",
    });
  });

  test("a variable outside the prefix is no secret", async () => {
    for (const name of ["PH_JS_NOT_A_SECRET", "PATH"]) {
      await expectGrpcError(
        client.secret.get("secretstore", name),
        INTERNAL,
        new RegExp(`^failed getting secret with key ${name} from secret store secretstore: `),
      );
    }
  });

  test("getBulk returns exactly the variables under the prefix", async () => {
    assert.deepEqual(await client.secret.getBulk("secretstore"), {
      DB_PASSWORD: { DB_PASSWORD: "hunter2" },
      API_KEY: { API_KEY: "k-123" },
    });
  });
});

describe("the pluggable sample (secretstores.cpp-sample)", () => {
  test("get and getBulk return the secrets from its metadata", async () => {
    assert.deepEqual(await client.secret.get("sample-secrets", "db-password"), {
      "db-password": "s3cret",
    });
    assert.deepEqual(await client.secret.getBulk("sample-secrets"), {
      "db-password": { "db-password": "s3cret" },
      "api-key": { "api-key": "sample-key" },
    });
  });

  test("an unknown secret fails with the component's reason", async () => {
    await expectGrpcError(
      client.secret.get("sample-secrets", "missing"),
      INTERNAL,
      /^failed getting secret with key missing from secret store sample-secrets: /,
    );
  });
});

test("an unknown secret store gets Dapr's error", async () => {
  const name = `nope-${run}`;
  await expectGrpcError(
    client.secret.get(name, "k"),
    INVALID_ARGUMENT,
    `failed finding secret store with key ${name}`,
  );
  await expectGrpcError(
    client.secret.getBulk(name),
    INVALID_ARGUMENT,
    `failed finding secret store with key ${name}`,
  );
});
