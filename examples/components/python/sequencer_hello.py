#!/usr/bin/python3
"""python-seq-hello: a plughost sequencer and a Layotto hello service on one socket, in Python.

Serves plughost.components.v1.Sequencer (ids strictly increasing per key and per instance) and
spec.proto.pluggable.v1.hello.Hello (greets with the Init's `hello_string`, else metadata
`hello`, else "hello"), both with Init, per-instance state by x-component-instance, and the
same arguments as the other samples. A starting point for the kinds Dapr defines no protocol
for (plughost's lock, sequencer and configuration) and for Layotto's.
"""

import sys

import grpc

from plughost_component import stubs

stubs.install()  # the generated modules below live in the build directory or beside the kit

# pylint: disable=wrong-import-position
from plughost.components.v1 import sequencer_pb2, sequencer_pb2_grpc  # noqa: E402
from spec.proto.pluggable.v1 import hello_pb2, hello_pb2_grpc  # noqa: E402
from dapr.proto.components.v1 import common_pb2  # noqa: E402
from google.protobuf import empty_pb2  # noqa: E402

from plughost_component import errors, runner  # noqa: E402
from plughost_component.errors import rpc  # noqa: E402
from plughost_component.instances import InstanceMap  # noqa: E402

NAME = "python-seq-hello"


class Counters:
    """One instance's sequences: the last id handed out per key."""

    def __init__(self, _name):
        self.last = {}

    def next_id(self, key):
        self.last[key] = self.last.get(key, 0) + 1
        return self.last[key]


class Sequencer(sequencer_pb2_grpc.SequencerServicer):
    def __init__(self, instances):
        self._instances = instances

    @rpc
    async def Init(self, request, context):
        self._instances.for_call(context)
        return sequencer_pb2.SequencerInitResponse()

    @rpc
    async def Features(self, request, context):
        return common_pb2.FeaturesResponse()

    @rpc
    async def Ping(self, request, context):
        return common_pb2.PingResponse()

    @rpc
    async def GetNextId(self, request, context):
        if not request.key:
            raise errors.ComponentError(grpc.StatusCode.INVALID_ARGUMENT, "GetNextId needs a key")
        return sequencer_pb2.GetNextIdResponse(
            next_id=self._instances.for_call(context).next_id(request.key))


class Greeting:
    def __init__(self, _name):
        self.text = "hello"


class Hello(hello_pb2_grpc.HelloServicer):
    def __init__(self, instances):
        self._instances = instances

    @rpc
    async def Init(self, request, context):
        greeting = self._instances.for_call(context)
        greeting.text = request.hello_string or request.metadata.get("hello") or "hello"
        return empty_pb2.Empty()

    @rpc
    async def SayHello(self, request, context):
        text = self._instances.for_call(context).text
        return hello_pb2.HelloResponse(
            hello_string=f"{text}, {request.name}" if request.name else text)


def register(server):
    sequencer_pb2_grpc.add_SequencerServicer_to_server(Sequencer(InstanceMap(Counters)), server)
    hello_pb2_grpc.add_HelloServicer_to_server(Hello(InstanceMap(Greeting)), server)
    return [sequencer_pb2.DESCRIPTOR.services_by_name["Sequencer"].full_name,
            hello_pb2.DESCRIPTOR.services_by_name["Hello"].full_name]


def main():
    options = runner.parse_args(NAME, __doc__.splitlines()[0])
    return runner.run(options, NAME, register)


if __name__ == "__main__":
    sys.exit(main())
