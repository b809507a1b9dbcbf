"""Errors a component returns, in the shapes Dapr (and so plughost) reads.

Dapr reads rich details from state-store writes: a google.rpc.Status with exactly one detail,
serialised into the grpc-status-details-bin trailer (docs/protocol.md, section 5):

- ETag mismatch: FAILED_PRECONDITION + BadRequest{field "etag"}; the app sees ABORTED;
- ETag invalid: INVALID_ARGUMENT + the same BadRequest; the app sees INVALID_ARGUMENT;
- bulk-delete row mismatch: INTERNAL + ErrorInfo{expected, affected}.

Handlers raise ComponentError; the `rpc` decorator turns it into the call's status.
"""

import functools
import sys
import traceback

import grpc
from google.rpc import error_details_pb2, status_pb2

DETAILS_TRAILER = "grpc-status-details-bin"
ETAG_FIELD = "etag"


class ComponentError(Exception):
    """A failed call: status code, message and optional google.rpc.Status bytes."""

    def __init__(self, code, message, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def trailing_metadata(self):
        return ((DETAILS_TRAILER, self.details),) if self.details else ()

    async def abort(self, context):
        await context.abort(self.code, self.message, self.trailing_metadata())


def _with_one_detail(code, message, detail):
    # Readers expect the inner Status to repeat the call's code and message.
    rich = status_pb2.Status(code=code.value[0], message=message)
    rich.details.add().Pack(detail)
    return ComponentError(code, message, rich.SerializeToString())


def _etag_violation(code, description):
    detail = error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field=ETAG_FIELD, description=description)])
    return _with_one_detail(code, description, detail)


def etag_mismatch(description):
    return _etag_violation(grpc.StatusCode.FAILED_PRECONDITION, description)


def etag_invalid(description):
    return _etag_violation(grpc.StatusCode.INVALID_ARGUMENT, description)


def bulk_delete_row_mismatch(expected, affected):
    detail = error_details_pb2.ErrorInfo(
        metadata={"expected": str(expected), "affected": str(affected)})
    return _with_one_detail(grpc.StatusCode.INTERNAL,
                            f"delete affected only {affected} row(s), expected {expected}", detail)


def invalid_argument(message):
    return ComponentError(grpc.StatusCode.INVALID_ARGUMENT, message)


def failed_precondition(message):
    return ComponentError(grpc.StatusCode.FAILED_PRECONDITION, message)


def unavailable(message):
    return ComponentError(grpc.StatusCode.UNAVAILABLE, message)


def rpc(handler):
    """Wraps an async unary handler: ComponentError becomes its status, and any other exception
    becomes INTERNAL with its text (gRPC would otherwise answer UNKNOWN and hide the cause)."""

    @functools.wraps(handler)
    async def wrapper(self, request, context):
        try:
            return await handler(self, request, context)
        except grpc.aio.AbortError:
            raise
        except ComponentError as error:
            await error.abort(context)
        except Exception as error:  # pylint: disable=broad-except
            traceback.print_exc(file=sys.stderr)
            await context.abort(grpc.StatusCode.INTERNAL,
                                f"{handler.__name__}: {type(error).__name__}: {error}")

    return wrapper
