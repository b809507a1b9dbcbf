// Interop, bindings: DaprClient invokes output bindings (built-in bindings.localstorage and the
// pluggable sample), and a DaprServer (the SDK's gRPC app-callback server) receives the
// sample's input events.
//
//   PLUGHOST_PORT  the host's gRPC port (support.mjs)
//   APP_PORT       where the DaprServer listens; the host was started with
//                  --app-address 127.0.0.1:$APP_PORT
//   FILES_ROOT     the rootPath of the host's "files" binding (bindings.localstorage)
// The host's config also holds "sample-out" and "sample-in": the sample with direction metadata
// "output" and "input".
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";

import {
  INTERNAL,
  eventually,
  expectGrpcError,
  newClient,
  newServer,
  run,
  text,
} from "./support.mjs";

const appPort = process.env.APP_PORT;
const filesRoot = process.env.FILES_ROOT;
if (!appPort || !filesRoot) throw new Error("APP_PORT and FILES_ROOT must be set");

const client = newClient();
const { server, stop: stopServer } = newServer(appPort);

// The sample's input events as the app's handler saw them.
const events = [];
await server.binding.receive("cpp-sample", async (data) => {
  events.push(data);
});

before(async () => {
  await server.start();
  await client.start();
});

after(async () => {
  await client.stop();
  await stopServer();
});

const failure = (binding, why) => `error invoking output binding ${binding}: ${why}`;

describe("bindings.localstorage (built-in)", () => {
  const fileName = `${run}.json`;

  test("create writes the file under rootPath; get, list and delete see it", async () => {
    const created = await client.binding.send("files", "create", { hello: "world" }, { fileName });
    assert.equal(created.metadata.fileName, fileName);
    assert.equal(created.operation, "create");
    const onDisk = await readFile(path.join(filesRoot, fileName), "utf8");
    assert.deepEqual(JSON.parse(onDisk), { hello: "world" });

    const got = await client.binding.send("files", "get", undefined, { fileName });
    assert.deepEqual(JSON.parse(text(got.data)), { hello: "world" });
    const listed = await client.binding.send("files", "list");
    assert.ok(JSON.parse(text(listed.data)).includes(fileName), text(listed.data));

    await client.binding.send("files", "delete", undefined, { fileName });
    await expectGrpcError(
      client.binding.send("files", "get", undefined, { fileName }),
      INTERNAL,
      failure("files", `file "${fileName}" not found`),
    );
  });

  test("an operation the binding lacks is refused with the ones it has", async () => {
    await expectGrpcError(
      client.binding.send("files", "rename"),
      INTERNAL,
      failure(
        "files",
        "binding files does not support operation rename. supported operations:" +
          "create get delete list",
      ),
    );
  });
});

describe("the pluggable sample (bindings.cpp-sample)", () => {
  test("create and get round-trip a record; echo returns data and metadata", async () => {
    const key = `${run}-record`;
    const created = await client.binding.send("cpp-sample", "create", "record data", { key });
    assert.equal(created.metadata.key, key);
    const got = await client.binding.send("cpp-sample", "get", undefined, { key });
    assert.equal(text(got.data), "record data");

    const echoed = await client.binding.send("cpp-sample", "echo", { n: 7 }, { color: "blue" });
    assert.deepEqual(JSON.parse(text(echoed.data)), { n: 7 });
    assert.equal(echoed.metadata.color, "blue");
  });

  test("a record created through the output side reaches the app's input handler", async () => {
    const key = `${run}-event`;
    await client.binding.send("cpp-sample", "create", { event: key }, { key });
    await eventually(`the input event for ${key}`, () =>
      events.some((e) => typeof e === "object" && e?.event === key),
    );
  });

  test("the component's failure and unknown operations come back as Dapr words them", async () => {
    await expectGrpcError(
      client.binding.send("cpp-sample", "fail", "the component says no"),
      INTERNAL,
      failure("cpp-sample", "the component says no"),
    );
    await expectGrpcError(
      client.binding.send("cpp-sample", "nope"),
      INTERNAL,
      failure(
        "cpp-sample",
        "binding cpp-sample does not support operation nope. supported operations:create get " +
          "list echo acks fail",
      ),
    );
  });
});

describe("direction metadata", () => {
  test("an output-only binding takes calls", async () => {
    const echoed = await client.binding.send("sample-out", "echo", "out");
    assert.equal(text(echoed.data), "out");
  });

  test("an input-only binding is no output binding", async () => {
    await expectGrpcError(
      client.binding.send("sample-in", "echo", "in"),
      INTERNAL,
      failure("sample-in", "couldn't find output binding sample-in"),
    );
  });
});

test("an unknown binding gets Dapr's error", async () => {
  const name = `nope-${run}`;
  await expectGrpcError(
    client.binding.send(name, "create", "x"),
    INTERNAL,
    failure(name, `couldn't find output binding ${name}`),
  );
});
