'use strict';
// gRPC errors a component returns, including Dapr's convention for ETag errors: a
// google.rpc.Status with exactly one detail, a google.rpc.BadRequest whose one field violation
// names "etag", in the grpc-status-details-bin trailer (docs/protocol.md §5). Hosts turn a
// mismatch (FAILED_PRECONDITION) into ABORTED for the app and keep INVALID_ARGUMENT as it is.
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protobuf = require('protobufjs');
const {PROTOS_DIR} = require('./protos');

const rpcRoot = new protobuf.Root();
// Imports resolve against protos/; google/protobuf/* comes built into protobufjs.
rpcRoot.resolvePath = (origin, target) =>
  path.isAbsolute(target) ? target : path.join(PROTOS_DIR, target);
rpcRoot.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], {keepCase: true});
const StatusMessage = rpcRoot.lookupType('google.rpc.Status');
const BadRequest = rpcRoot.lookupType('google.rpc.BadRequest');

const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

// An Error grpc-js sends as a status: `code`, `details` (the message) and trailing `metadata`.
class StatusError extends Error {
  constructor(code, details, metadata = new grpc.Metadata()) {
    super(details);
    this.code = code;
    this.details = details;
    this.metadata = metadata;
  }
}

function statusError(code, message) {
  return new StatusError(code, message);
}

// `code` and `message` with one error detail of `type` built from `detail`.
function statusWithDetail(code, message, type, detail) {
  const any = {
    type_url: `type.googleapis.com/${type.fullName.replace(/^\./, '')}`,
    value: type.encode(type.fromObject(detail)).finish(),
  };
  const status = StatusMessage.encode(
      StatusMessage.fromObject({code, message, details: [any]})).finish();
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(status));
  return new StatusError(code, message, metadata);
}

function etagError(code, description) {
  return statusWithDetail(code, description, BadRequest,
      {field_violations: [{field: 'etag', description}]});
}

// The ETag names another version than the stored one (or the key is absent).
function etagMismatch(description) {
  return etagError(grpc.status.FAILED_PRECONDITION, description);
}

// The ETag cannot be a version at all.
function etagInvalid(description) {
  return etagError(grpc.status.INVALID_ARGUMENT, description);
}

// Decodes the Status in `metadata`'s details trailer, or null: for tests and debugging.
function decodeStatusDetails(metadata) {
  const [bytes] = metadata.get(STATUS_DETAILS_KEY);
  if (!bytes) return null;
  const status = StatusMessage.toObject(StatusMessage.decode(bytes), {defaults: true});
  status.details = status.details.map((any) => {
    const type = rpcRoot.lookupType(any.type_url.slice(any.type_url.lastIndexOf('/') + 1));
    return {type_url: any.type_url, value: type.toObject(type.decode(any.value))};
  });
  return status;
}

module.exports = {
  StatusError,
  statusError,
  etagMismatch,
  etagInvalid,
  decodeStatusDetails,
  STATUS_DETAILS_KEY,
};
