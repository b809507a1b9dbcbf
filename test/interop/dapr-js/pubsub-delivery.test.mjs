// Interop, pub/sub delivery as daprd does it, seen by the SDK's own DaprServer (gRPC): dead-letter
// topics (subscribeWithOptions' deadLetterTopic) for DROP and RETRY answers, and bulk subscribe
// (subscribeBulk and the bulkSubscribe option), which the SDK serves with OnBulkTopicEventAlpha1
// only, so the host falls back to it after OnBulkTopicEvent answers UNIMPLEMENTED; per-entry
// answers, dead letters from a batch, and a batch split by routing rule (one call per path).
//
//   PLUGHOST_PORT  the host's gRPC port (support.mjs)
//   APP_PORT       where the DaprServer listens (the host's --app-address)
//   PUBSUBS        comma-separated pubsub names (default "pubsub")
//   RETRY_POLICY   "<pubsub>=<maxRetries>" for each pubsub with an inbound retry policy
//                  (run_dapr_js.sh gives "pubsub" 2 retries and "cpp-sample" none: a RETRY is
//                  tried 3 times on the first, dead-lettered at once on the second, as daprd)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import { DaprPubSubStatusEnum } from "@dapr/dapr";

import { eventually, newClient, newServer, run, text } from "./support.mjs";

const appPort = process.env.APP_PORT;
if (!appPort) throw new Error("APP_PORT must name the port the host calls the app on");
const pubsubs = (process.env.PUBSUBS ?? "pubsub").split(",").filter(Boolean);
const maxRetries = new Map(
  (process.env.RETRY_POLICY ?? "")
    .split(",")
    .filter(Boolean)
    .map((entry) => entry.split("="))
    .map(([pubsub, retries]) => [pubsub, Number(retries)]),
);
const attemptsOf = (pubsub) => 1 + (maxRetries.get(pubsub) ?? 0);

const { server, stop: stopServer } = newServer(appPort);
const client = newClient();
const topic = (pubsub, name) => `${name}-${pubsub}-${run}`;

// Every call the host made to the SDK's app callback, as the SDK received it (the SDK still
// handles each one): { method, request }.
const calls = [];
const impl = server.getDaprClient().getServerImpl();
for (const method of ["onTopicEvent", "onBulkTopicEventAlpha1"]) {
  const original = impl[method].bind(impl);
  impl[method] = (request, context) => {
    calls.push({ method, request });
    return original(request, context);
  };
}
const eventsOn = (t) =>
  calls.filter((c) => c.method === "onTopicEvent" && c.request.topic === t).map((c) => c.request);
const batchesOn = (t) =>
  calls
    .filter((c) => c.method === "onBulkTopicEventAlpha1" && c.request.topic === t)
    .map((c) => c.request);
const entryData = (entry) => JSON.parse(text(entry.event.value.data));

// What each subscription's callback got, by topic: { data, headers }.
const received = new Map();
const record = (t, data, headers) => {
  const seen = received.get(t) ?? [];
  seen.push({ data, headers });
  received.set(t, seen);
};
const deliveries = (t) => received.get(t) ?? [];

// Answers by the message's `answer` field, as an app would.
const answer = (data) =>
  data?.answer === "drop"
    ? DaprPubSubStatusEnum.DROP
    : data?.answer === "retry"
      ? DaprPubSubStatusEnum.RETRY
      : DaprPubSubStatusEnum.SUCCESS;

const subscribed = [];
async function subscribeOptions(pubsub, t, options, answerOf = answer) {
  await server.pubsub.subscribeWithOptions(pubsub, t, {
    ...options,
    callback: async (data, headers) => {
      record(t, data, headers);
      return answerOf(data);
    },
  });
  subscribed.push(`${pubsub}/${t}`);
}

for (const pubsub of pubsubs) {
  const dead = topic(pubsub, "dead");
  await subscribeOptions(pubsub, topic(pubsub, "orders"), { deadLetterTopic: dead });
  await subscribeOptions(pubsub, topic(pubsub, "batch"), {
    deadLetterTopic: dead,
    bulkSubscribe: { enabled: true, maxMessagesCount: 5, maxAwaitDurationMs: 200 },
  });
  // The dead-letter topic takes everything it gets.
  await subscribeOptions(pubsub, dead, {}, () => DaprPubSubStatusEnum.SUCCESS);
  const routed = topic(pubsub, "routed");
  await server.pubsub.subscribeBulk(
    pubsub,
    routed,
    async (data, headers) => {
      record(routed, data, headers);
      return DaprPubSubStatusEnum.SUCCESS;
    },
    {
      route: { rules: [{ match: 'event.data.kind == "a"', path: "a" }], default: "other" },
      maxMessagesCount: 20,
      maxAwaitDurationMs: 300,
    },
  );
  subscribed.push(`${pubsub}/${routed}`);
}

before(async () => {
  await server.start();
  await client.start();
  const raw = await client.daprClient.getClient();
  await eventually("the host to subscribe every topic the app lists", async () => {
    const metadata = await raw.getMetadata({});
    const active = new Set(metadata.subscriptions.map((s) => `${s.pubsubName}/${s.topic}`));
    return subscribed.every((s) => active.has(s));
  });
});

after(async () => {
  await client.stop();
  await stopServer();
});

for (const pubsub of pubsubs) {
  describe(`pubsub ${pubsub}`, () => {
    const dead = topic(pubsub, "dead");
    const deadWith = (field, value) =>
      deliveries(dead).filter((d) => d.data?.[field] === value);

    test("DROP and an exhausted RETRY reach the dead-letter topic as daprd sends them", async () => {
      const t = topic(pubsub, "orders");
      await client.pubsub.publish(pubsub, t, { answer: "drop", n: 1 });
      await client.pubsub.publish(pubsub, t, { answer: "retry", n: 2 });
      await client.pubsub.publish(pubsub, t, { answer: "ok", n: 3 });
      await eventually(`2 dead letters from ${t}`, () =>
        [1, 2].every((n) => deadWith("n", n).length > 0),
      );
      await sleep(1000); // room for a wrong redelivery or dead letter to show up
      const attempts = (n) => deliveries(t).filter((d) => d.data.n === n).length;
      assert.equal(attempts(1), 1, "a DROP is not redelivered");
      assert.equal(attempts(2), attemptsOf(pubsub), "RETRY is tried as the policy says");
      assert.equal(attempts(3), 1);
      assert.deepEqual(
        deliveries(dead)
          .filter((d) => [1, 2, 3].includes(d.data?.n))
          .map((d) => d.data)
          .sort((a, b) => a.n - b.n),
        [
          { answer: "drop", n: 1 },
          { answer: "retry", n: 2 },
        ],
      );
      // The dead letter is the original CloudEvent: its id, type and source, on the same
      // pubsub (the pubsubname header says so).
      for (const n of [1, 2]) {
        const original = eventsOn(t).find((e) => JSON.parse(text(e.data)).n === n);
        const letter = eventsOn(dead).find((e) => JSON.parse(text(e.data)).n === n);
        assert.ok(original && letter, `the calls for message ${n}`);
        assert.equal(letter.id, original.id);
        assert.equal(letter.type, original.type);
        assert.equal(letter.source, original.source);
        assert.equal(letter.pubsubName, pubsub);
        assert.equal(deadWith("n", n)[0].headers.pubsubname, pubsub);
      }
    });

    test("a bulk subscription gets batches, each entry answered and dead-lettered on its own", async () => {
      const t = topic(pubsub, "batch");
      const messages = Array.from({ length: 10 }, (_, i) => ({ answer: "ok", b: i }));
      messages.push({ answer: "drop", b: 10 }, { answer: "retry", b: 11 });
      const result = await client.pubsub.publishBulk(pubsub, t, messages);
      assert.deepEqual(result.failedMessages, []);
      await eventually(`2 dead letters from ${t}`, () =>
        [10, 11].every((b) => deadWith("b", b).length > 0),
      );
      await sleep(1000);
      const batches = batchesOn(t);
      // The SDK serves only the Alpha1 call: every batch came that way, within the limit.
      assert.ok(batches.length >= 3, `${batches.length} batches for 12 messages of at most 5`);
      assert.deepEqual(eventsOn(t), [], "no entry came one at a time");
      for (const batch of batches) {
        assert.ok(batch.entries.length <= 5, `a batch of ${batch.entries.length}`);
        assert.equal(batch.pubsubName, pubsub);
        assert.equal(batch.type, "com.dapr.event.sent.bulk");
        for (const entry of batch.entries) assert.equal(entry.event.case, "cloudEvent");
      }
      const sent = (b) =>
        batches.flatMap((batch) => batch.entries).filter((e) => entryData(e).b === b).length;
      for (let b = 0; b <= 10; ++b) assert.equal(sent(b), 1, `entry ${b} sent once`);
      // A RETRY entry is sent again alone, as the policy says; then dead-lettered.
      assert.equal(sent(11), attemptsOf(pubsub));
      assert.deepEqual(
        deliveries(dead)
          .filter((d) => d.data?.b !== undefined)
          .map((d) => d.data.b)
          .sort((x, y) => x - y),
        [10, 11],
      );
      const original = batches
        .flatMap((batch) => batch.entries)
        .find((e) => entryData(e).b === 10);
      const letter = eventsOn(dead).find((e) => JSON.parse(text(e.data)).b === 10);
      assert.equal(letter.id, original.event.value.id, "the original CloudEvent");
    });

    test("a batch is split by routing rule: each path gets its own entries", async () => {
      const t = topic(pubsub, "routed");
      const messages = Array.from({ length: 6 }, (_, i) => ({ kind: i % 2 ? "b" : "a", i }));
      const result = await client.pubsub.publishBulk(pubsub, t, messages);
      assert.deepEqual(result.failedMessages, []);
      await eventually(`6 deliveries on ${t}`, () => deliveries(t).length >= 6);
      const byRoute = new Map();
      for (const batch of batchesOn(t)) {
        const route = batch.path.split("--").pop();
        const kinds = batch.entries.map((e) => entryData(e).kind);
        byRoute.set(route, [...(byRoute.get(route) ?? []), ...kinds]);
      }
      assert.deepEqual(byRoute.get("a"), ["a", "a", "a"]);
      assert.deepEqual(byRoute.get("other"), ["b", "b", "b"]);
      assert.equal(byRoute.size, 2, JSON.stringify([...byRoute]));
      assert.deepEqual(
        deliveries(t)
          .map((d) => d.data.i)
          .sort(),
        [0, 1, 2, 3, 4, 5],
      );
    });
  });
}
