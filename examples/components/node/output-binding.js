'use strict';
// A Dapr pluggable output binding in Node.js: dapr.proto.components.v1.OutputBinding over
// in-memory records per instance. See README.md.
//
//   create  stores the data under metadata "key" (default "record-<n>"); answers metadata {key}
//   get     metadata "key" -> the record's data (NOT_FOUND when missing)
//   list    the record keys, sorted, as a JSON array
//   delete  metadata "key" -> removes the record (NOT_FOUND when missing)
// Any other operation fails with INVALID_ARGUMENT.
const grpc = require('@grpc/grpc-js');
const {runComponent} = require('./lib/component');
const {statusError} = require('./lib/errors');
const {InstanceMap} = require('./lib/instances');
const {unaryAll} = require('./lib/unary');

const OPERATIONS = ['create', 'get', 'list', 'delete'];

class Records {
  constructor() {
    this.records_ = new Map();  // key -> Buffer
    this.nextRecord_ = 1;
    this.initMetadata = {};
  }

  invoke(operation, data, metadata) {
    switch (operation) {
      case 'create': {
        const key = metadata.key || `record-${this.nextRecord_++}`;
        this.records_.set(key, Buffer.from(data));
        return {metadata: {key}};
      }
      case 'get':
        return {data: this.existing_(metadata.key)};
      case 'list': {
        const keys = [...this.records_.keys()].sort();
        return {data: Buffer.from(JSON.stringify(keys)), content_type: 'application/json'};
      }
      case 'delete':
        this.existing_(metadata.key);
        this.records_.delete(metadata.key);
        return {};
      default:
        throw statusError(grpc.status.INVALID_ARGUMENT, `unsupported operation ` +
            `${JSON.stringify(operation)}; supported: ${OPERATIONS.join(', ')}`);
    }
  }

  existing_(key) {
    if (!key) throw statusError(grpc.status.INVALID_ARGUMENT, 'metadata "key" is required');
    const data = this.records_.get(key);
    if (data === undefined) throw statusError(grpc.status.NOT_FOUND, `record ${key} not found`);
    return data;
  }
}

const instances = new InstanceMap(() => new Records());

const outputBinding = unaryAll({
  Init(request, call) {
    // Nothing to configure: every instance accepts any metadata and keeps it.
    const properties = (request.metadata && request.metadata.properties) || {};
    instances.for(call).initMetadata = {...properties};
    return {};
  },
  ListOperations() {
    return {operations: OPERATIONS};
  },
  Invoke(request, call) {
    return instances.for(call).invoke(request.operation, request.data, request.metadata || {});
  },
  Ping() {
    return {};
  },
});

runComponent({
  defaultName: 'node-binding',
  protoFiles: ['dapr/proto/components/v1/bindings.proto'],
  services: {'dapr.proto.components.v1.OutputBinding': outputBinding},
});
