'use strict';
// Runs a component: parses --socket/--name, claims the socket, serves the given services plus
// gRPC reflection (v1alpha and v1, which hosts use for discovery) and stops cleanly on SIGINT
// or SIGTERM, removing the socket. Exit codes: 0 stopped by a signal, 1 cannot serve, 2 bad
// arguments.
const grpc = require('@grpc/grpc-js');
const {ReflectionService} = require('@grpc/reflection');
const {loadProtos} = require('./protos');
const {claimSocket, defaultSocketPath} = require('./socket');

// In-flight calls get this long after a signal. Every call here is in-memory; the wait is
// mostly for the host's long-lived channels to hang up.
const SHUTDOWN_GRACE_MS = 500;

function usage(script, defaultName) {
  return `usage: node ${script} [--socket PATH] [--name NAME]
  --socket PATH  listen on PATH (default: <folder>/<name>.sock, folder from
                 PLUGHOST_SOCKETS_DIR, DAPR_COMPONENTS_SOCKETS_FOLDER, DAPR_COMPONENT_SOCKETS_FOLDER,
                 LAYOTTO_COMPONENTS_SOCKETS_FOLDER
                 or /tmp/dapr-components-sockets)
  --name NAME    component name, i.e. the socket file's stem (default: ${defaultName})
`;
}

// Accepts "--flag value" and "--flag=value". Returns {socket, name, help} or throws.
function parseArgs(args, defaultName) {
  const options = {socket: '', name: defaultName, help: false};
  for (let i = 0; i < args.length; ++i) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') {
      options.help = true;
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = equals < 0 ? arg : arg.slice(0, equals);
    if (flag !== '--socket' && flag !== '--name') throw new Error(`unknown argument ${arg}`);
    let value;
    if (equals >= 0) value = arg.slice(equals + 1);
    else if (i + 1 < args.length) value = args[++i];
    else throw new Error(`${flag} needs a value`);
    if (value === '') throw new Error(`${flag} must not be empty`);
    options[flag.slice(2)] = value;
  }
  if (options.name.includes('/')) throw new Error("--name must not contain '/'");
  return options;
}

function bind(server, socketPath) {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(),
        (error) => (error ? reject(error) : resolve()));
  });
}

// spec: {
//   defaultName: socket stem and log prefix, e.g. "node-state",
//   protoFiles: .proto files (relative to protos/) defining the services,
//   services: {<full service name>: <implementation: method name -> handler>},
// }
async function runComponent(spec) {
  const script = require('node:path').basename(process.argv[1] || 'component.js');
  let options;
  try {
    options = parseArgs(process.argv.slice(2), spec.defaultName);
  } catch (error) {
    process.stderr.write(`${spec.defaultName}: ${error.message}\n`);
    process.stderr.write(usage(script, spec.defaultName));
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(usage(script, spec.defaultName));
    process.exit(0);
  }
  const log = (line) => process.stderr.write(`${spec.defaultName}: ${line}\n`);
  const socketPath = options.socket || defaultSocketPath(options.name);

  const protos = loadProtos(spec.protoFiles);
  const server = new grpc.Server();
  const serviceNames = Object.keys(spec.services);
  for (const name of serviceNames) server.addService(protos.service(name), spec.services[name]);
  // List only what this process serves, not every service the loaded files define.
  new ReflectionService(protos.definition, {services: serviceNames}).addToServer(server);

  let guard;
  try {
    guard = await claimSocket(socketPath);
  } catch (error) {
    log(error.message);
    process.exit(1);
  }
  // Covers every way out, including a crash: the socket and lock never outlive the process.
  process.on('exit', () => guard.release());
  try {
    await bind(server, socketPath);
    guard.markBound();
  } catch (error) {
    log(`cannot listen on ${socketPath}: ${error.message}`);
    server.forceShutdown();
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    log(`stopping on ${signal}`);
    const done = () => process.exit(0);
    server.tryShutdown(done);
    setTimeout(() => {
      server.forceShutdown();
      done();
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Only now: whoever waits for this line may signal at once, and must meet the handlers above.
  log(`serving ${serviceNames.join(', ')} on ${socketPath}`);
}

module.exports = {runComponent, parseArgs};
