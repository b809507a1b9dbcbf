'use strict';
// Per-instance state. A host dials one channel per configured instance and sends the
// instance's name in the x-component-instance header on every call, so one socket may serve
// several instances, each with its own data and Init metadata (docs/protocol.md §2).

const INSTANCE_HEADER = 'x-component-instance';
// Calls without the header (from a client other than a host) share this instance.
const DEFAULT_INSTANCE = '#default';

function instanceName(call) {
  const [name] = call.metadata.get(INSTANCE_HEADER);
  return typeof name === 'string' && name !== '' ? name : DEFAULT_INSTANCE;
}

// Creates an instance with `create()` the first time a call names it.
class InstanceMap {
  constructor(create) {
    this.create_ = create;
    this.instances_ = new Map();
  }

  for(call) {
    const name = instanceName(call);
    let instance = this.instances_.get(name);
    if (instance === undefined) {
      instance = this.create_(name);
      this.instances_.set(name, instance);
    }
    return instance;
  }
}

module.exports = {INSTANCE_HEADER, DEFAULT_INSTANCE, instanceName, InstanceMap};
