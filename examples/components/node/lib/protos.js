'use strict';
// Loads the repository's .proto files at run time: no generated code, so the samples always
// speak exactly the protocol in protos/.
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// PLUGHOST_PROTOS_DIR, else protos/ beside lib/ (where `scripts/component-kit.sh node DIR`
// copies them for a component kept outside the repository), else the repository's protos/.
const BESIDE_LIB = path.resolve(__dirname, '..', 'protos');
const PROTOS_DIR = process.env.PLUGHOST_PROTOS_DIR ||
    (fs.existsSync(BESIDE_LIB) ? BESIDE_LIB : path.resolve(__dirname, '..', '..', '..', '..', 'protos'));

// keepCase: fields keep their .proto names (hello_string, content_type). defaults: absent
// scalars read as their zero value and absent messages as null, as in other languages.
// oneofs: a oneof's virtual field names the member that is set (TransactionalStateOperation).
const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTOS_DIR],
};

// Loads `files` (paths relative to protos/). Returns the package definition, which gRPC
// reflection describes, and a lookup of service definitions by full name.
function loadProtos(files) {
  const definition = protoLoader.loadSync(files, LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition);
  const service = (fullName) => {
    const found = fullName.split('.').reduce((scope, part) => scope && scope[part], loaded);
    if (!found || !found.service) throw new Error(`no service ${fullName} in ${files.join(', ')}`);
    return found.service;
  };
  return {definition, service};
}

module.exports = {PROTOS_DIR, loadProtos};
