// What the interop test files share: the host's address, a DaprClient on it, gRPC codes as the
// SDK surfaces them, and a poll for things that happen in the background.
//
//   PLUGHOST_PORT  the host's app-facing gRPC port on 127.0.0.1 (required)
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import { CommunicationProtocolEnum, DaprClient, DaprServer, LogLevel } from "@dapr/dapr";

export const port = process.env.PLUGHOST_PORT;
if (!port) throw new Error("PLUGHOST_PORT must name the host's gRPC port");

// gRPC status codes. The SDK's transport (ConnectRPC) throws a ConnectError whose `.code` is a
// Connect Code; Connect's codes carry the gRPC numbers unchanged, so these compare directly.
export const INVALID_ARGUMENT = 3;
export const FAILED_PRECONDITION = 9;
export const ABORTED = 10;
export const INTERNAL = 13;

// Names differ between runs so a rerun against a long-lived host never sees old data.
export const run = `js-${process.pid}-${Date.now()}`;

export function newClient() {
  return new DaprClient({
    daprHost: "127.0.0.1",
    daprPort: port,
    communicationProtocol: CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Error },
  });
}

// A DaprServer (the SDK's gRPC app-callback server) on 127.0.0.1:`appPort`, whose client talks
// to the host, and a stop() that really stops it: the host keeps its HTTP/2 connection to the
// app open (as daprd does) and http2's close() waits for every connection to end, so stop()
// ends them first.
export function newServer(appPort) {
  const server = new DaprServer({
    serverHost: "127.0.0.1",
    serverPort: appPort,
    communicationProtocol: CommunicationProtocolEnum.GRPC,
    clientOptions: { daprHost: "127.0.0.1", daprPort: port },
    logger: { level: LogLevel.Error },
  });
  const sessions = new Set();
  const http2Server = server.getDaprClient().server;
  http2Server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const stop = async () => {
    const closed = server.stop();
    for (const session of sessions) session.destroy();
    await closed;
  };
  return { server, stop };
}

// Asserts that `err` is a ConnectError carrying `code`, whose message from the host (without
// Connect's "[code]" prefix) matches `text` when given.
export function assertGrpcError(err, code, text) {
  assert.equal(err?.name, "ConnectError", `expected a ConnectError, got ${err?.stack ?? err}`);
  assert.equal(err.code, code, `expected gRPC code ${code}, got ${err.code}: ${err.message}`);
  if (text instanceof RegExp) assert.match(err.rawMessage, text);
  else if (text !== undefined) assert.equal(err.rawMessage, text);
}

// Awaits `promise`, which must reject with a ConnectError as assertGrpcError describes.
export async function expectGrpcError(promise, code, text) {
  await assert.rejects(promise, (err) => {
    assertGrpcError(err, code, text);
    return true;
  });
}

// Polls `probe` until it returns a truthy value, which it returns; fails naming `what` if that
// takes longer than `seconds` (generous: a slow machine must not fail, and nothing here
// asserts how fast anything happens).
export async function eventually(what, probe, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${seconds}s waiting for ${what}`);
    await sleep(50);
  }
}

export const text = (bytes) => new TextDecoder().decode(bytes);
