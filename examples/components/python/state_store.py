#!/usr/bin/python3
"""python-state: an in-memory Dapr state store as a pluggable component, in Python.

Serves dapr.proto.components.v1.StateStore, TransactionalStateStore and
TransactionalStoreMultiMaxSize on one Unix socket, with the same behaviour and test hooks as
the C++ sample (examples/components/cpp/memory_state.cc): decimal ETags, first-write
concurrency, TTL (ttlInSeconds), all-or-nothing bulk writes and transactions, data and Init
metadata per x-component-instance. See README.md.
"""

import asyncio
import datetime
import json
import sys
import time

from plughost_component import stubs

stubs.install()  # the generated modules below live in the build directory

# pylint: disable=wrong-import-position
from dapr.proto.components.v1 import common_pb2, state_pb2, state_pb2_grpc  # noqa: E402

from plughost_component import errors, etags, runner  # noqa: E402
from plughost_component.errors import rpc  # noqa: E402
from plughost_component.instances import InstanceMap  # noqa: E402

NAME = "python-state"
FEATURES = ("ETAG", "TRANSACTIONAL", "TTL")
# Test hooks: Get of these keys (bare, or after daprd's "<app-id>||" prefix) reports on the
# instance instead of reading stored data.
INIT_METADATA_KEY = "__init_metadata__"
INIT_COUNT_KEY = "__init_count__"
STORED_KEYS_KEY = "__stored_keys__"
# Test hook: a Get of a key ending in this never answers until the caller gives up.
HANG_SUFFIX = "__hang__"
# Test hook: a BulkDelete item with this metadata set to "true" fails the call with Dapr's
# row-mismatch error and deletes nothing.
SIMULATE_ROW_MISMATCH_KEY = "__simulate_row_mismatch__"
# Init metadata bounding the operations in one transaction (reported by MultiMaxSize).
MAX_TRANSACTION_OPS_KEY = "maxTransactionOps"
KEY_SEPARATOR = "||"


def is_hook_key(key, hook):
    return key == hook or (key.endswith(KEY_SEPARATOR + hook) and len(key) > len(hook) + 2)


def rfc3339(epoch_seconds):
    return datetime.datetime.fromtimestamp(int(epoch_seconds), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class Entry:
    __slots__ = ("value", "content_type", "version", "expires")

    def __init__(self, value, content_type, version, expires):
        self.value = value
        self.content_type = content_type
        self.version = version
        self.expires = expires  # epoch seconds, or None

    def expired(self, now=None):
        return self.expires is not None and self.expires <= (now or time.time())


class MemoryState:
    """One instance's data. Runs on the event loop only, and no method awaits, so every call
    is atomic without a lock. Writes are staged in a batch (key -> Entry, or None for a delete)
    and committed only when every item passed."""

    def __init__(self, _name):
        self.init_metadata = {}
        self.init_count = 0
        self.max_transaction_ops = -1
        self.entries = {}
        # One counter per instance, so a key deleted and written again never repeats an ETag an
        # old reader may still hold.
        self.next_version = 1

    def init(self, metadata):
        self.init_count += 1  # failed calls count too: tests see exactly how often Init ran
        max_ops = -1
        if MAX_TRANSACTION_OPS_KEY in metadata:
            text = metadata[MAX_TRANSACTION_OPS_KEY]
            max_ops = int(text) if text.isascii() and text.isdigit() else 0
            if max_ops <= 0:
                raise errors.invalid_argument(f"metadata {MAX_TRANSACTION_OPS_KEY} must be a "
                                              f"positive integer, got {etags.quoted(text)}")
        self.init_metadata = dict(metadata)
        self.max_transaction_ops = max_ops

    def _find(self, key, batch):
        if key in batch:
            return batch[key]
        entry = self.entries.get(key)
        return None if entry is None or entry.expired() else entry

    def _check_etag(self, key, etag, current):
        version = etags.parse_etag(key, etag)
        if current is None or current.version != version:
            raise etags.mismatch(key, etag)

    def _stage_set(self, request, batch):
        etags.require_key("set", request.key)
        current = self._find(request.key, batch)
        etag = etags.requested_etag(request)
        if etag is not None:
            self._check_etag(request.key, etag, current)
        elif etags.is_first_write(request) and current is not None:
            raise etags.first_write_conflict(request.key)
        ttl = etags.ttl_seconds(request.metadata)
        batch[request.key] = Entry(request.value, request.content_type, self.next_version,
                                   time.time() + ttl if ttl else None)
        self.next_version += 1

    def _stage_delete(self, request, batch):
        etags.require_key("delete", request.key)
        etag = etags.requested_etag(request)
        if etag is not None:
            self._check_etag(request.key, etag, self._find(request.key, batch))
        batch[request.key] = None

    def _commit(self, batch):
        for key, entry in batch.items():
            if entry is None:
                self.entries.pop(key, None)
            else:
                self.entries[key] = entry

    def read(self, key, out):
        """Fills `out` (GetResponse or BulkStateItem) with what a read of `key` returns."""
        if is_hook_key(key, INIT_METADATA_KEY):
            out.data, out.content_type = json.dumps(self.init_metadata).encode(), "application/json"
            return
        if is_hook_key(key, INIT_COUNT_KEY):
            out.data, out.content_type = str(self.init_count).encode(), "text/plain"
            return
        if is_hook_key(key, STORED_KEYS_KEY):
            out.data = json.dumps(sorted(self.entries)).encode()
            out.content_type = "application/json"
            return
        entry = self.entries.get(key)
        if entry is None:
            return  # a missing key is not an error in Dapr: the answer is simply empty
        if entry.expired():
            del self.entries[key]  # dropped when next read
            return
        out.data = entry.value
        out.etag.value = str(entry.version)
        out.content_type = entry.content_type
        if entry.expires is not None:
            out.metadata["ttlExpireTime"] = rfc3339(entry.expires)

    def write(self, sets=(), deletes=(), operations=None):
        """Stages every item in order; the first failure raises and nothing is written."""
        batch = {}
        for request in sets:
            self._stage_set(request, batch)
        for request in deletes:
            self._stage_delete(request, batch)
        for index, operation in enumerate(operations or ()):
            kind = operation.WhichOneof("request")
            if kind == "set":
                self._stage_set(operation.set, batch)
            elif kind == "delete":
                self._stage_delete(operation.delete, batch)
            else:
                raise errors.invalid_argument(
                    f"transaction operation {index} is neither set nor delete")
        self._commit(batch)

    def simulated_row_mismatch(self, items):
        """The row-mismatch error a SQL store would report, if an item asks for it."""
        if not any(item.metadata.get(SIMULATE_ROW_MISMATCH_KEY) == "true" for item in items):
            return None
        affected = sum(1 for item in items if self._find(item.key, {}) is not None)
        return errors.bulk_delete_row_mismatch(len(items), affected)


class StateStore(state_pb2_grpc.StateStoreServicer):
    def __init__(self, instances):
        self._instances = instances

    @rpc
    async def Init(self, request, context):
        self._instances.for_call(context).init(request.metadata.properties)
        return state_pb2.InitResponse()

    @rpc
    async def Features(self, request, context):
        return common_pb2.FeaturesResponse(features=FEATURES)

    @rpc
    async def Ping(self, request, context):
        return common_pb2.PingResponse()

    @rpc
    async def Get(self, request, context):
        if request.key.endswith(HANG_SUFFIX):
            await asyncio.Event().wait()  # ends when gRPC cancels the call
        response = state_pb2.GetResponse()
        self._instances.for_call(context).read(request.key, response)
        return response

    @rpc
    async def Set(self, request, context):
        self._instances.for_call(context).write(sets=[request])
        return state_pb2.SetResponse()

    @rpc
    async def Delete(self, request, context):
        self._instances.for_call(context).write(deletes=[request])
        return state_pb2.DeleteResponse()

    @rpc
    async def BulkGet(self, request, context):
        state = self._instances.for_call(context)
        response = state_pb2.BulkGetResponse()
        for item in request.items:
            # Missing keys still get an item (key only), as Dapr's stores report them.
            state.read(item.key, response.items.add(key=item.key))
        return response

    @rpc
    async def BulkSet(self, request, context):
        self._instances.for_call(context).write(sets=request.items)
        return state_pb2.BulkSetResponse()

    @rpc
    async def BulkDelete(self, request, context):
        state = self._instances.for_call(context)
        failure = state.simulated_row_mismatch(request.items)
        if failure is not None:
            raise failure
        state.write(deletes=request.items)
        return state_pb2.BulkDeleteResponse()


class TransactionalStateStore(state_pb2_grpc.TransactionalStateStoreServicer):
    def __init__(self, instances):
        self._instances = instances

    @rpc
    async def Transact(self, request, context):
        state = self._instances.for_call(context)
        count = len(request.operations)
        if 0 < state.max_transaction_ops < count:
            raise errors.invalid_argument(f"transaction has {count} operations, more than "
                                          f"{MAX_TRANSACTION_OPS_KEY} {state.max_transaction_ops}")
        state.write(operations=request.operations)
        return state_pb2.TransactionalStateResponse()


class MultiMaxSize(state_pb2_grpc.TransactionalStoreMultiMaxSizeServicer):
    def __init__(self, instances):
        self._instances = instances

    @rpc
    async def MultiMaxSize(self, request, context):
        return state_pb2.MultiMaxSizeResponse(
            max_size=self._instances.for_call(context).max_transaction_ops)


def register(server):
    instances = InstanceMap(MemoryState)
    state_pb2_grpc.add_StateStoreServicer_to_server(StateStore(instances), server)
    state_pb2_grpc.add_TransactionalStateStoreServicer_to_server(
        TransactionalStateStore(instances), server)
    state_pb2_grpc.add_TransactionalStoreMultiMaxSizeServicer_to_server(
        MultiMaxSize(instances), server)
    services = state_pb2.DESCRIPTOR.services_by_name
    return [services[name].full_name
            for name in ("StateStore", "TransactionalStateStore", "TransactionalStoreMultiMaxSize")]


def main():
    options = runner.parse_args(NAME, __doc__.splitlines()[0])
    return runner.run(options, NAME, register)


if __name__ == "__main__":
    sys.exit(main())
