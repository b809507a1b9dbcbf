'use strict';
// A Dapr pluggable state store in Node.js: dapr.proto.components.v1.StateStore and
// TransactionalStateStore over an in-memory map per instance, with Dapr's ETag rules
// (an ETag is the entry's decimal version), first-write concurrency and all-or-nothing bulk
// writes and transactions. Features: ETAG, TRANSACTIONAL. See README.md.
const grpc = require('@grpc/grpc-js');
const {runComponent} = require('./lib/component');
const {statusError, etagMismatch, etagInvalid} = require('./lib/errors');
const {InstanceMap} = require('./lib/instances');
const {unaryAll} = require('./lib/unary');

// Test hooks: a Get of these keys (bare, or after daprd's "<app-id>||" prefix) reports how the
// instance was initialised instead of reading stored data.
const INIT_METADATA_KEY = '__init_metadata__';
const INIT_COUNT_KEY = '__init_count__';
const KEY_SEPARATOR = '||';

function isHookKey(key, hook) {
  return key === hook || (key.endsWith(KEY_SEPARATOR + hook) &&
                          key.length > hook.length + KEY_SEPARATOR.length);
}

// daprd sends an Etag only when the app gave one; other clients may send an empty one.
function etagOf(request) {
  return request.etag && request.etag.value !== '' ? request.etag.value : null;
}

function quoted(text) {
  return JSON.stringify(text);
}

function invalidArgument(message) {
  return statusError(grpc.status.INVALID_ARGUMENT, message);
}

// An ETag must name the entry's current version; one for an absent key never matches.
function checkEtag(key, etag, current) {
  if (!/^[0-9]{1,15}$/.test(etag)) {
    throw etagInvalid(
        `invalid etag ${quoted(etag)} for key ${quoted(key)}: expected a decimal version`);
  }
  if (!current || current.version !== Number(etag)) {
    throw etagMismatch(`etag ${quoted(etag)} does not match key ${quoted(key)}`);
  }
}

class MemoryState {
  constructor() {
    this.entries_ = new Map();  // key -> {value: Buffer, contentType, version}
    this.initMetadata_ = {};
    this.initCount_ = 0;
    // One counter per instance, so a key deleted and written again never repeats an ETag an
    // old reader may still hold.
    this.nextVersion_ = 1;
  }

  init(metadata) {
    ++this.initCount_;
    this.initMetadata_ = {...metadata};
  }

  get(key) {
    if (isHookKey(key, INIT_METADATA_KEY)) {
      const data = Buffer.from(JSON.stringify(this.initMetadata_));
      return {data, content_type: 'application/json'};
    }
    if (isHookKey(key, INIT_COUNT_KEY)) {
      return {data: Buffer.from(String(this.initCount_)), content_type: 'text/plain'};
    }
    const entry = this.entries_.get(key);
    // A missing key is not an error in Dapr: the answer is simply empty.
    if (!entry) return null;
    return {
      data: entry.value,
      etag: {value: String(entry.version)},
      content_type: entry.contentType,
    };
  }

  // Writes are staged in `batch` (key -> entry, or null for a delete) and committed only when
  // every item of the call passed, so a failing item leaves the store as it was.
  find_(key, batch) {
    if (batch.has(key)) return batch.get(key);
    return this.entries_.get(key) || null;
  }

  stageSet_(request, batch) {
    if (!request.key) throw invalidArgument('set: key is empty');
    const current = this.find_(request.key, batch);
    const etag = etagOf(request);
    if (etag !== null) {
      checkEtag(request.key, etag, current);
    } else if (current && request.options &&
               request.options.concurrency === 'CONCURRENCY_FIRST_WRITE') {
      // First-write means "only if unchanged since I read it"; without an ETag the only state
      // the writer can have seen is "absent".
      throw etagMismatch(`key ${quoted(request.key)} already exists and first-write ` +
                         'concurrency requires its etag');
    }
    batch.set(request.key, {
      value: Buffer.from(request.value || []),
      contentType: request.content_type || '',
      version: this.nextVersion_++,
    });
  }

  stageDelete_(request, batch) {
    if (!request.key) throw invalidArgument('delete: key is empty');
    const etag = etagOf(request);
    if (etag !== null) checkEtag(request.key, etag, this.find_(request.key, batch));
    batch.set(request.key, null);
  }

  commit_(batch) {
    for (const [key, entry] of batch) {
      if (entry) this.entries_.set(key, entry);
      else this.entries_.delete(key);
    }
  }

  write(stage) {
    const batch = new Map();
    stage(batch);
    this.commit_(batch);
  }

  set(request) {
    this.write((batch) => this.stageSet_(request, batch));
  }

  delete(request) {
    this.write((batch) => this.stageDelete_(request, batch));
  }

  bulkSet(items) {
    this.write((batch) => items.forEach((item) => this.stageSet_(item, batch)));
  }

  bulkDelete(items) {
    this.write((batch) => items.forEach((item) => this.stageDelete_(item, batch)));
  }

  transact(operations) {
    this.write((batch) => operations.forEach((operation, index) => {
      if (operation.request === 'set') this.stageSet_(operation.set, batch);
      else if (operation.request === 'delete') this.stageDelete_(operation.delete, batch);
      else throw invalidArgument(`transaction operation ${index} is neither set nor delete`);
    }));
  }
}

const FEATURES = ['ETAG', 'TRANSACTIONAL'];
const instances = new InstanceMap(() => new MemoryState());

const stateStore = unaryAll({
  Init(request, call) {
    const properties = (request.metadata && request.metadata.properties) || {};
    instances.for(call).init(properties);
    return {};
  },
  Features() {
    return {features: FEATURES};
  },
  Ping() {
    return {};
  },
  Get(request, call) {
    return instances.for(call).get(request.key) || {};
  },
  Set(request, call) {
    instances.for(call).set(request);
    return {};
  },
  Delete(request, call) {
    instances.for(call).delete(request);
    return {};
  },
  BulkGet(request, call) {
    const store = instances.for(call);
    // Missing keys still get an item (key only), as Dapr's stores report them.
    return {items: request.items.map((item) => ({key: item.key, ...store.get(item.key)}))};
  },
  BulkSet(request, call) {
    instances.for(call).bulkSet(request.items);
    return {};
  },
  BulkDelete(request, call) {
    instances.for(call).bulkDelete(request.items);
    return {};
  },
});

const transactionalStateStore = unaryAll({
  Transact(request, call) {
    instances.for(call).transact(request.operations);
    return {};
  },
});

runComponent({
  defaultName: 'node-state',
  protoFiles: ['dapr/proto/components/v1/state.proto'],
  services: {
    'dapr.proto.components.v1.StateStore': stateStore,
    'dapr.proto.components.v1.TransactionalStateStore': transactionalStateStore,
  },
});
