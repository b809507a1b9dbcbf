"""Dapr's state-store request rules shared by the Python state stores: ETags are decimal
versions, first-write concurrency, ttlInSeconds, and the exact error texts the C++ sample uses
(examples/components/cpp/memory_state.cc), so both samples answer the same call the same way."""

import re

from plughost_component import errors

TTL_KEY = "ttlInSeconds"
# StateOptions.StateConcurrency.CONCURRENCY_FIRST_WRITE
FIRST_WRITE = 1
_DECIMAL = re.compile(r"[0-9]+")
_MAX_UINT64 = 2**64 - 1


def quoted(text):
    return f'"{text}"'


def requested_etag(request):
    """The ETag a Set/Delete carries, or None. daprd sends an Etag message only when the app gave
    one, but other clients may send an empty one; both mean "no ETag"."""
    if request.HasField("etag") and request.etag.value:
        return request.etag.value
    return None


def parse_etag(key, etag):
    """The version an ETag names; raises ETag-invalid unless it is a decimal uint64."""
    if _DECIMAL.fullmatch(etag) and int(etag) <= _MAX_UINT64:
        return int(etag)
    raise errors.etag_invalid(
        f"invalid etag {quoted(etag)} for key {quoted(key)}: expected a decimal version")


def mismatch(key, etag):
    return errors.etag_mismatch(f"etag {quoted(etag)} does not match key {quoted(key)}")


def first_write_conflict(key):
    # First-write means "only if unchanged since I read it"; without an ETag the only state the
    # writer can have seen is "absent".
    return errors.etag_mismatch(
        f"key {quoted(key)} already exists and first-write concurrency requires its etag")


def is_first_write(request):
    return request.HasField("options") and request.options.concurrency == FIRST_WRITE


def ttl_seconds(metadata):
    """ttlInSeconds from request metadata: None when absent or -1 (never expires)."""
    text = metadata.get(TTL_KEY)
    if text is None:
        return None
    value = int(text) if re.fullmatch(r"-?[0-9]+", text) else None
    if value is None or (value <= 0 and value != -1):
        raise errors.invalid_argument(
            f"metadata {TTL_KEY} must be a positive integer or -1, got {quoted(text)}")
    return None if value == -1 else value


def require_key(operation, key):
    if not key:
        raise errors.invalid_argument(f"{operation}: key is empty")
