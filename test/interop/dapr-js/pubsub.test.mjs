// Interop, pub/sub: DaprClient publishes, a DaprServer (the SDK's gRPC app-callback server)
// receives through its subscriptions, and a streaming subscription (SubscribeTopicEventsAlpha1)
// receives on the SDK's own gRPC client; for the built-in and the pluggable pubsub.
//
//   PLUGHOST_PORT  the host's gRPC port (support.mjs)
//   APP_PORT       where the DaprServer listens; the host was started with
//                  --app-address 127.0.0.1:$APP_PORT
//   PUBSUBS        comma-separated pubsub names (default "pubsub")
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { DaprPubSubStatusEnum } from "@dapr/dapr";

import {
  INVALID_ARGUMENT,
  assertGrpcError,
  eventually,
  newClient,
  newServer,
  run,
  text,
} from "./support.mjs";

const appPort = process.env.APP_PORT;
if (!appPort) throw new Error("APP_PORT must name the port the host calls the app on");
const pubsubs = (process.env.PUBSUBS ?? "pubsub").split(",").filter(Boolean);

const { server, stop: stopServer } = newServer(appPort);
const client = newClient();

// Every delivery the app's subscriptions saw, by "<pubsub>/<topic>", in arrival order.
const received = new Map();
const deliveries = (pubsub, topic) => received.get(`${pubsub}/${topic}`) ?? [];
const topic = (pubsub, name) => `${name}-${pubsub}-${run}`;

function subscribe(pubsub, name, answer = () => DaprPubSubStatusEnum.SUCCESS) {
  const t = topic(pubsub, name);
  return server.pubsub.subscribe(pubsub, t, async (data, headers) => {
    const seen = received.get(`${pubsub}/${t}`) ?? [];
    seen.push({ data, headers });
    received.set(`${pubsub}/${t}`, seen);
    return answer(data, seen);
  });
}

for (const pubsub of pubsubs) {
  await subscribe(pubsub, "orders");
  // Asks for a redelivery of every message the first time it arrives.
  await subscribe(pubsub, "retry", (data, seen) =>
    seen.filter((d) => JSON.stringify(d.data) === JSON.stringify(data)).length === 1
      ? DaprPubSubStatusEnum.RETRY
      : DaprPubSubStatusEnum.SUCCESS,
  );
  await subscribe(pubsub, "bulk");
}

before(async () => {
  // The app server first, then the client: the host lists the subscriptions once the app
  // answers, and subscribes each topic on its pubsub.
  await server.start();
  await client.start();
  // The SDK's metadata.get() drops the subscriptions; its gRPC client has them all.
  const raw = await client.daprClient.getClient();
  const wanted = pubsubs.flatMap((p) =>
    ["orders", "retry", "bulk"].map((name) => `${p}/${topic(p, name)}`),
  );
  await eventually("the host to subscribe every topic the app lists", async () => {
    const metadata = await raw.getMetadata({});
    const active = new Set(metadata.subscriptions.map((s) => `${s.pubsubName}/${s.topic}`));
    return wanted.every((w) => active.has(w));
  });
});

after(async () => {
  await client.stop();
  await stopServer();
});

// A streaming subscription on the SDK's gRPC client: `requests` is what the app sends.
class Outbox {
  #queue = [];
  #wake = null;
  #closed = false;
  push(message) {
    this.#queue.push(message);
    this.#wake?.();
  }
  close() {
    this.#closed = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator]() {
    for (;;) {
      while (this.#queue.length > 0) yield this.#queue.shift();
      if (this.#closed) return;
      await new Promise((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}

test("publishing to an unknown pubsub fails with Dapr's error", async () => {
  // The SDK wraps a failed publish as { error }.
  await assert.rejects(client.pubsub.publish(`nope-${run}`, "t", { a: 1 }), (thrown) => {
    assertGrpcError(thrown?.error, INVALID_ARGUMENT, `pubsub nope-${run} is not found`);
    return true;
  });
});

for (const pubsub of pubsubs) {
  describe(`pubsub ${pubsub}`, () => {
    test("a JSON object and a string reach the DaprServer subscription", async () => {
      const t = topic(pubsub, "orders");
      await client.pubsub.publish(pubsub, t, { order: 1, item: "book", tags: ["a"] });
      await client.pubsub.publish(pubsub, t, "plain text");
      await eventually(`2 deliveries on ${t}`, () => deliveries(pubsub, t).length >= 2);
      const data = deliveries(pubsub, t).map((d) => d.data);
      // One delivery per message; the pubsub may reorder them.
      assert.equal(data.length, 2, JSON.stringify(data));
      assert.ok(data.some((d) => typeof d === "object" && d.order === 1), JSON.stringify(data));
      assert.deepEqual(
        data.find((d) => typeof d === "object"),
        { order: 1, item: "book", tags: ["a"] },
      );
      assert.ok(data.includes("plain text"), JSON.stringify(data));
    });

    test("a message the app answers RETRY is delivered again", async () => {
      const t = topic(pubsub, "retry");
      await client.pubsub.publish(pubsub, t, { attempt: "twice" });
      await eventually(`a redelivery on ${t}`, () => deliveries(pubsub, t).length >= 2);
      for (const delivery of deliveries(pubsub, t)) {
        assert.deepEqual(delivery.data, { attempt: "twice" });
      }
    });

    test("publishBulk delivers every entry", async () => {
      const t = topic(pubsub, "bulk");
      const result = await client.pubsub.publishBulk(pubsub, t, [{ n: 1 }, { n: 2 }, { n: 3 }]);
      assert.deepEqual(result.failedMessages, []);
      await eventually(`3 deliveries on ${t}`, () => deliveries(pubsub, t).length >= 3);
      const numbers = deliveries(pubsub, t).map((d) => d.data.n).sort();
      assert.deepEqual(numbers, [1, 2, 3]);
    });

    test("a streaming subscription receives, acks and is redelivered on RETRY", async () => {
      const t = topic(pubsub, "stream");
      const raw = await client.daprClient.getClient();
      const requests = new Outbox();
      const abort = new AbortController();
      requests.push({
        subscribeTopicEventsRequestType: {
          case: "initialRequest",
          value: { pubsubName: pubsub, topic: t },
        },
      });
      const responses = raw
        .subscribeTopicEventsAlpha1(requests, { signal: abort.signal })
        [Symbol.asyncIterator]();
      try {
        const first = await responses.next();
        assert.equal(first.value?.subscribeTopicEventsResponseType.case, "initialResponse");

        await client.pubsub.publish(pubsub, t, { streamed: true });
        const events = [];
        while (events.length < 2) {
          const next = await responses.next();
          assert.ok(!next.done, "the stream ended before the redelivery");
          const response = next.value.subscribeTopicEventsResponseType;
          assert.equal(response.case, "eventMessage");
          const event = response.value;
          events.push(event);
          // The first delivery is refused, the second accepted.
          const status = events.length === 1 ? 1 /* RETRY */ : 0; /* SUCCESS */
          requests.push({
            subscribeTopicEventsRequestType: {
              case: "eventProcessed",
              value: { id: event.id, status: { status } },
            },
          });
        }
        for (const event of events) {
          assert.equal(event.pubsubName, pubsub);
          assert.equal(event.topic, t);
          assert.equal(event.dataContentType, "application/json");
          assert.deepEqual(JSON.parse(text(event.data)), { streamed: true });
          assert.equal(event.specVersion, "1.0");
        }
        // The same message both times (its CloudEvent id), redelivered after the RETRY.
        assert.equal(events[1].id, events[0].id);
      } finally {
        requests.close();
        abort.abort();
        await responses.return?.().catch(() => {});
      }
    });
  });
}
