#!/usr/bin/python3
"""python-pubsub: an in-memory Dapr pub/sub as a pluggable component, in Python.

Serves dapr.proto.components.v1.PubSub on one Unix socket. Each instance (x-component-instance)
has its own topics. A topic is a queue shared by the streams subscribed to it:

- Publish appends a message; with no stream subscribed, it waits for the first one;
- each message goes to one subscribed stream (round robin), under an id unique on that stream;
- an ack without ack_error completes the message;
- an ack with ack_error (a failed delivery) redelivers it after a short delay (100 ms, doubling
  with each attempt up to 1 s), under a new id, as often as it fails;
- messages a stream was sent but had not acked when it ended are delivered again.
Features: BULK_PUBSUB. Test hook: a Publish (or bulk entry) whose metadata has "failWith" is
refused with that text. This is the C++ sample's broker (examples/components/cpp/pubsub_service.h).
See README.md.
"""

import asyncio
import collections
import itertools
import sys

import grpc

from plughost_component import stubs

stubs.install()  # the generated modules below live in the build directory

# pylint: disable=wrong-import-position
from dapr.proto.components.v1 import common_pb2, pubsub_pb2, pubsub_pb2_grpc  # noqa: E402

from plughost_component import errors, runner  # noqa: E402
from plughost_component.errors import rpc  # noqa: E402
from plughost_component.instances import InstanceMap  # noqa: E402

NAME = "python-pubsub"
FEATURES = ("BULK_PUBSUB",)
FAIL_WITH_KEY = "failWith"
FIRST_REDELIVERY_SECONDS = 0.1
MAX_REDELIVERY_SECONDS = 1.0
# Ends a stream's delivery loop (its reader saw the host hang up).
_END_OF_STREAM = object()


class Message:
    __slots__ = ("topic", "data", "metadata", "content_type", "attempts")

    def __init__(self, topic, data, metadata, content_type):
        self.topic = topic
        self.data = data
        self.metadata = dict(metadata)
        self.content_type = content_type
        self.attempts = 0  # deliveries so far

    def redelivery_delay(self):
        return min(FIRST_REDELIVERY_SECONDS * 2 ** max(self.attempts - 1, 0),
                   MAX_REDELIVERY_SECONDS)


class Subscription:
    """One PullMessages stream: what waits to be sent on it, and what it was sent but not acked."""

    _ids = itertools.count(1)

    def __init__(self, topic):
        self.topic = topic
        self.outbox = asyncio.Queue()
        self.unacked = {}  # id -> Message, in delivery order

    def deliver(self, message):
        self.outbox.put_nowait(message)

    def track(self, message):
        # Unique on the stream, and across streams too, so a late ack never completes the wrong
        # message.
        message_id = f"{self.topic.name}-{next(Subscription._ids)}"
        message.attempts += 1
        self.unacked[message_id] = message
        return message_id

    def end(self):
        self.outbox.put_nowait(_END_OF_STREAM)


class Topic:
    def __init__(self, name):
        self.name = name
        self.waiting = collections.deque()  # published while no stream was subscribed
        self.subscriptions = []
        self._turn = 0

    def offer(self, message, first=False):
        """Sends `message` to the next stream, or keeps it (first in line if `first`)."""
        if not self.subscriptions:
            if first:
                self.waiting.appendleft(message)
            else:
                self.waiting.append(message)
            return
        self._turn = (self._turn + 1) % len(self.subscriptions)
        self.subscriptions[self._turn].deliver(message)

    def subscribe(self):
        subscription = Subscription(self)
        self.subscriptions.append(subscription)
        while self.waiting:
            subscription.deliver(self.waiting.popleft())
        return subscription

    def unsubscribe(self, subscription):
        """Hands what the stream was sent but never acked, then what it had yet to send, to the
        other streams (or back to the waiting queue)."""
        self.subscriptions.remove(subscription)
        pending = list(subscription.unacked.values())
        subscription.unacked.clear()
        while not subscription.outbox.empty():
            item = subscription.outbox.get_nowait()
            if item is not _END_OF_STREAM:
                pending.append(item)
        if self.subscriptions:
            for message in pending:
                self.offer(message)
        else:
            self.waiting.extendleft(reversed(pending))  # first in line, in their order


class PubSubInstance:
    def __init__(self, _name):
        self.topics = {}

    def topic(self, name):
        topic = self.topics.get(name)
        if topic is None:
            topic = self.topics[name] = Topic(name)
        return topic

    def publish(self, topic_name, data, metadata, content_type):
        self.topic(topic_name).offer(Message(topic_name, data, metadata, content_type))

    def redeliver_later(self, message):
        asyncio.get_running_loop().call_later(message.redelivery_delay(),
                                              self.topic(message.topic).offer, message, True)


class PubSub(pubsub_pb2_grpc.PubSubServicer):
    def __init__(self, instances):
        self._instances = instances

    @rpc
    async def Init(self, request, context):
        self._instances.for_call(context)  # creates the instance's topics
        # Which consumer group the host gave this instance (daprd defaults it to the app id).
        consumer = request.metadata.properties.get("consumerID", "")
        print(f"{NAME}: Init with consumerID {consumer!r}", file=sys.stderr, flush=True)
        return pubsub_pb2.PubSubInitResponse()

    @rpc
    async def Features(self, request, context):
        return common_pb2.FeaturesResponse(features=FEATURES)

    @rpc
    async def Ping(self, request, context):
        return common_pb2.PingResponse()

    @rpc
    async def Publish(self, request, context):
        if not request.topic:
            raise errors.invalid_argument("topic is required")
        if FAIL_WITH_KEY in request.metadata:
            raise errors.ComponentError(grpc.StatusCode.INTERNAL, request.metadata[FAIL_WITH_KEY])
        self._instances.for_call(context).publish(request.topic, request.data, request.metadata,
                                                  request.content_type)
        return pubsub_pb2.PublishResponse()

    @rpc
    async def BulkPublish(self, request, context):
        if not request.topic:
            raise errors.invalid_argument("topic is required")
        instance = self._instances.for_call(context)
        response = pubsub_pb2.BulkPublishResponse()
        for entry in request.entries:
            if FAIL_WITH_KEY in entry.metadata:
                # A failed entry is reported in the answer; the call itself succeeds.
                response.failed_entries.add(entry_id=entry.entry_id,
                                            error=entry.metadata[FAIL_WITH_KEY])
                continue
            instance.publish(request.topic, entry.event, entry.metadata, entry.content_type)
        return response

    async def PullMessages(self, request_iterator, context):
        first = await context.read()
        if first is grpc.aio.EOF:
            return
        if not first.topic.name:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "the first PullMessagesRequest must name a topic")
        instance = self._instances.for_call(context)
        topic = instance.topic(first.topic.name)
        subscription = topic.subscribe()
        reader = asyncio.create_task(self._read_acks(context, instance, subscription))
        try:
            while True:
                message = await subscription.outbox.get()
                if message is _END_OF_STREAM:
                    break
                message_id = subscription.track(message)  # before the write: it may fail
                await context.write(pubsub_pb2.PullMessagesResponse(
                    data=message.data, topic_name=message.topic, metadata=message.metadata,
                    content_type=message.content_type, id=message_id))
        finally:
            reader.cancel()
            topic.unsubscribe(subscription)

    @staticmethod
    async def _read_acks(context, instance, subscription):
        try:
            while True:
                request = await context.read()
                if request is grpc.aio.EOF:
                    break
                message = subscription.unacked.pop(request.ack_message_id, None)
                if message is None:
                    continue  # unknown or already acked: nothing to do
                if request.HasField("ack_error"):
                    instance.redeliver_later(message)
        except asyncio.CancelledError:
            raise
        except Exception:  # pylint: disable=broad-except
            pass  # the stream broke; the delivery loop ends it below
        subscription.end()


def register(server):
    pubsub_pb2_grpc.add_PubSubServicer_to_server(PubSub(InstanceMap(PubSubInstance)), server)
    return [pubsub_pb2.DESCRIPTOR.services_by_name["PubSub"].full_name]


def main():
    options = runner.parse_args(NAME, __doc__.splitlines()[0])
    return runner.run(options, NAME, register)


if __name__ == "__main__":
    sys.exit(main())
