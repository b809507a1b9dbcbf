#!/usr/bin/python3
"""python-redis: a Dapr state store backed by a real Redis, as a pluggable component, in Python.

Serves dapr.proto.components.v1.StateStore and TransactionalStateStore on one Unix socket.
Each instance (x-component-instance) connects to the Redis its Init metadata names:

- redisHost: "host:port" (required); redisPassword (optional); redisDB (optional, default 0).

Each key is a Redis hash {data, version, contentType}. The ETag is the version, a decimal
number drawn from one counter (the key ETAG_COUNTER_KEY), so a key deleted and written again
never repeats an ETag an old reader holds, as in the C++ sample. Every write (Set, Delete,
BulkSet, BulkDelete, Transact) is one Lua script that checks all ETags first and then applies
every operation, so bulk writes and transactions are atomic. ttlInSeconds becomes EXPIRE.
Key prefixes (keyPrefix) are the host's job: keys arrive already prefixed. See README.md.
"""

import json
import os
import sys
import time

import grpc

from plughost_component import stubs

stubs.install()  # the generated modules below live in the build directory

# pylint: disable=wrong-import-position
import redis.asyncio  # noqa: E402
import redis.exceptions  # noqa: E402
from dapr.proto.components.v1 import common_pb2, state_pb2, state_pb2_grpc  # noqa: E402

from plughost_component import errors, etags, runner  # noqa: E402
from plughost_component.errors import ComponentError, rpc  # noqa: E402
from plughost_component.instances import InstanceMap  # noqa: E402

NAME = "python-redis"
FEATURES = ("ETAG", "TRANSACTIONAL", "TTL")
HOST_KEY, PASSWORD_KEY, DB_KEY = "redisHost", "redisPassword", "redisDB"
# App keys never contain "||" (Dapr reserves it for key prefixes) and prefixed keys put it
# after the app id, so this key cannot collide with any state key.
ETAG_COUNTER_KEY = "__plughost__||etag-counter"
CONNECT_TIMEOUT_SECONDS = 2
CALL_TIMEOUT_SECONDS = 5

# Reads keys[1..n]; for each: data, version, contentType, PTTL (ms; <0 without expiry) and an
# error text (false when fine), so one bad key (say, not a hash) fails only its own item.
READ_SCRIPT = """
local out = {}
for _, key in ipairs(KEYS) do
  local fields = redis.pcall('HMGET', key, 'data', 'version', 'contentType')
  if type(fields) == 'table' and fields.err then
    for _, v in ipairs({false, false, false, -2, fields.err}) do out[#out + 1] = v end
  else
    local ttl = redis.call('PTTL', key)
    for _, v in ipairs({fields[1], fields[2], fields[3], ttl, false}) do out[#out + 1] = v end
  end
end
return out
"""

# Applies a batch of writes atomically. KEYS: one per operation, then the ETag counter.
# ARGV[1]: JSON list of {t = "set"|"del", etag = decimal text or absent, fw = first-write,
# ttl = seconds (0: none), ct = content type}; ARGV[1 + i]: the value of operation i.
# Returns {"ok"}, or {"mismatch", i} / {"exists", i} for the first operation that fails, in
# which case nothing was written (only the counter may have moved, which is harmless).
WRITE_SCRIPT = """
local ops = cjson.decode(ARGV[1])
local counter = KEYS[#KEYS]
local staged = {}
local versions = {}
for i, op in ipairs(ops) do
  local key = KEYS[i]
  local current = staged[key]
  if current == nil then current = redis.call('HGET', key, 'version') end
  if op.etag then
    if not current or current ~= op.etag then return {'mismatch', i} end
  elseif op.fw and op.t == 'set' and current then
    return {'exists', i}
  end
  if op.t == 'set' then
    staged[key] = string.format('%d', redis.call('INCR', counter))
  else
    staged[key] = false
  end
  versions[i] = staged[key]
end
for i, op in ipairs(ops) do
  local key = KEYS[i]
  redis.call('DEL', key)
  if op.t == 'set' then
    redis.call('HSET', key, 'data', ARGV[i + 1], 'version', versions[i], 'contentType', op.ct)
    if op.ttl > 0 then redis.call('EXPIRE', key, op.ttl) end
  end
end
return {'ok'}
"""


def parse_host(text):
    host, _, port = (text or "").rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise errors.invalid_argument(
            f'metadata {HOST_KEY} must be "host:port", got {etags.quoted(text or "")}')
    return host.strip("[]"), int(port)


def describe(error):
    """redis-py's text, or the OS's words for a failed connection ("Connection refused")."""
    cause = error.__cause__ or error.__context__
    if isinstance(error, redis.exceptions.ConnectionError) and isinstance(cause, OSError):
        if cause.errno:
            return os.strerror(cause.errno)
    return str(error)


class RedisFailure(ComponentError):
    """A Redis call failed: UNAVAILABLE when Redis cannot be reached, INTERNAL otherwise."""

    def __init__(self, address, error):
        unreachable = isinstance(error, (redis.exceptions.ConnectionError,
                                         redis.exceptions.TimeoutError))
        super().__init__(grpc.StatusCode.UNAVAILABLE if unreachable else grpc.StatusCode.INTERNAL,
                         f"redis {address}: {describe(error)}")


class RedisState:
    """One instance: its Redis client (None until Init) and the scripts registered on it."""

    def __init__(self, name):
        self.name = name
        self.address = None
        self.client = None
        self.read_script = None
        self.write_script = None

    async def init(self, metadata):
        host, port = parse_host(metadata.get(HOST_KEY))
        db_text = metadata.get(DB_KEY, "0")
        if not (db_text.isascii() and db_text.isdigit()):
            raise errors.invalid_argument(
                f"metadata {DB_KEY} must be a non-negative integer, got {etags.quoted(db_text)}")
        client = redis.asyncio.Redis(
            host=host, port=port, db=int(db_text), password=metadata.get(PASSWORD_KEY) or None,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=CALL_TIMEOUT_SECONDS)
        address = f"{host}:{port}"
        try:
            await client.ping()
        except redis.exceptions.RedisError as error:
            await client.close()
            raise errors.unavailable(
                f"cannot connect to Redis at {address}: {describe(error)}") from None
        await self.close()  # a repeated Init (after a host restart) replaces the old client
        self.address, self.client = address, client
        self.read_script = client.register_script(READ_SCRIPT)
        self.write_script = client.register_script(WRITE_SCRIPT)

    async def close(self):
        if self.client is not None:
            await self.client.close()
            self.client = None

    def _require_client(self):
        if self.client is None:
            raise errors.failed_precondition(
                f"state store instance {etags.quoted(self.name)} is not initialised: "
                f"Init with metadata {HOST_KEY} first")

    async def ping(self):
        if self.client is None:
            return  # Ping must not depend on Init; the process itself is healthy
        try:
            await self.client.ping()
        except redis.exceptions.RedisError as error:
            raise RedisFailure(self.address, error) from None

    async def read(self, keys):
        """For each key: (data, version, content_type, expires_epoch or None, error or None)."""
        self._require_client()
        try:
            flat = await self.read_script(keys=list(keys))
        except redis.exceptions.RedisError as error:
            raise RedisFailure(self.address, error) from None
        now = time.time()
        results = []
        for index in range(0, len(flat), 5):
            data, version, content_type, ttl_ms, error = flat[index:index + 5]
            expires = now + ttl_ms / 1000 if ttl_ms is not None and ttl_ms > 0 else None
            results.append((data, version.decode() if version else None,
                            (content_type or b"").decode(), expires,
                            error.decode() if isinstance(error, bytes) else error))
        return results

    async def write(self, operations):
        """operations: ("set", SetRequest) / ("del", DeleteRequest) pairs, applied all or none."""
        self._require_client()
        keys, specs, values = [], [], []
        for kind, request in operations:
            etags.require_key("set" if kind == "set" else "delete", request.key)
            spec = {"t": kind}
            etag = etags.requested_etag(request)
            if etag is not None:
                # Normalised ("007" names version 7), compared as text inside the script.
                spec["etag"] = str(etags.parse_etag(request.key, etag))
            if kind == "set":
                spec.update(fw=etags.is_first_write(request),
                            ttl=etags.ttl_seconds(request.metadata) or 0,
                            ct=request.content_type)
            keys.append(request.key)
            specs.append(spec)
            values.append(request.value if kind == "set" else b"")
        if not operations:
            return
        try:
            result = await self.write_script(keys=keys + [ETAG_COUNTER_KEY],
                                             args=[json.dumps(specs)] + values)
        except redis.exceptions.RedisError as error:
            raise RedisFailure(self.address, error) from None
        outcome = result[0].decode()
        if outcome == "ok":
            return
        kind, request = operations[int(result[1]) - 1]
        if outcome == "exists":
            raise etags.first_write_conflict(request.key)
        raise etags.mismatch(request.key, etags.requested_etag(request))


def fill(out, item):
    data, version, content_type, expires, _ = item
    if version is None:
        return  # a missing key is not an error in Dapr: the answer is simply empty
    out.data = data or b""
    out.etag.value = version
    out.content_type = content_type
    if expires is not None:
        out.metadata["ttlExpireTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))


class StateStore(state_pb2_grpc.StateStoreServicer):
    def __init__(self, instances):
        self._instances = instances

    @rpc
    async def Init(self, request, context):
        await self._instances.for_call(context).init(request.metadata.properties)
        return state_pb2.InitResponse()

    @rpc
    async def Features(self, request, context):
        return common_pb2.FeaturesResponse(features=FEATURES)

    @rpc
    async def Ping(self, request, context):
        await self._instances.for_call(context).ping()
        return common_pb2.PingResponse()

    @rpc
    async def Get(self, request, context):
        (item,) = await self._instances.for_call(context).read([request.key])
        if item[4]:
            raise errors.ComponentError(grpc.StatusCode.INTERNAL, f"get {request.key}: {item[4]}")
        response = state_pb2.GetResponse()
        fill(response, item)
        return response

    @rpc
    async def Set(self, request, context):
        await self._instances.for_call(context).write([("set", request)])
        return state_pb2.SetResponse()

    @rpc
    async def Delete(self, request, context):
        await self._instances.for_call(context).write([("del", request)])
        return state_pb2.DeleteResponse()

    @rpc
    async def BulkGet(self, request, context):
        keys = [item.key for item in request.items]
        results = await self._instances.for_call(context).read(keys)
        response = state_pb2.BulkGetResponse()
        for key, item in zip(keys, results):
            # Missing keys still get an item (key only); a failing key gets its error.
            out = response.items.add(key=key)
            if item[4]:
                out.error = item[4]
            else:
                fill(out, item)
        return response

    @rpc
    async def BulkSet(self, request, context):
        await self._instances.for_call(context).write([("set", item) for item in request.items])
        return state_pb2.BulkSetResponse()

    @rpc
    async def BulkDelete(self, request, context):
        await self._instances.for_call(context).write([("del", item) for item in request.items])
        return state_pb2.BulkDeleteResponse()


class TransactionalStateStore(state_pb2_grpc.TransactionalStateStoreServicer):
    def __init__(self, instances):
        self._instances = instances

    @rpc
    async def Transact(self, request, context):
        operations = []
        for index, operation in enumerate(request.operations):
            kind = operation.WhichOneof("request")
            if kind is None:
                raise errors.invalid_argument(
                    f"transaction operation {index} is neither set nor delete")
            operations.append(("set", operation.set) if kind == "set"
                              else ("del", operation.delete))
        await self._instances.for_call(context).write(operations)
        return state_pb2.TransactionalStateResponse()


def main():
    options = runner.parse_args(NAME, __doc__.splitlines()[0])
    instances = InstanceMap(RedisState)

    def register(server):
        state_pb2_grpc.add_StateStoreServicer_to_server(StateStore(instances), server)
        state_pb2_grpc.add_TransactionalStateStoreServicer_to_server(
            TransactionalStateStore(instances), server)
        services = state_pb2.DESCRIPTOR.services_by_name
        return [services["StateStore"].full_name, services["TransactionalStateStore"].full_name]

    async def close_clients():
        for instance in instances.values():
            await instance.close()

    return runner.run(options, NAME, register, on_stop=close_clients)


if __name__ == "__main__":
    sys.exit(main())
