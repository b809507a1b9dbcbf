'use strict';
// A Layotto pluggable hello service in Node.js: spec.proto.pluggable.v1.hello.Hello. Init sets
// the instance's greeting (hello_string, default "hello"); SayHello answers the greeting alone
// when the name is empty, or "<greeting> <name>". See README.md.
const {runComponent} = require('./lib/component');
const {InstanceMap} = require('./lib/instances');
const {unaryAll} = require('./lib/unary');

const DEFAULT_GREETING = 'hello';

const instances = new InstanceMap(() => ({greeting: DEFAULT_GREETING}));

const hello = unaryAll({
  Init(request, call) {
    // An operator who configures no greeting still gets a working hello.
    instances.for(call).greeting = request.hello_string || DEFAULT_GREETING;
    return {};
  },
  SayHello(request, call) {
    const {greeting} = instances.for(call);
    return {hello_string: request.name ? `${greeting} ${request.name}` : greeting};
  },
});

runComponent({
  defaultName: 'node-hello',
  protoFiles: ['spec/proto/pluggable/v1/hello.proto'],
  services: {'spec.proto.pluggable.v1.hello.Hello': hello},
});
