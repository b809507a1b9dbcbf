'use strict';
// Where a component listens, and claiming that socket safely: never take over a socket a live
// server uses, remove one nobody listens on, and clean up on the way out.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const DEFAULT_SOCKET_FOLDER = '/tmp/dapr-components-sockets';
const FOLDER_MODE = 0o750;
const SOCKET_MODE = 0o660;
// sun_path holds 108 bytes including the terminator; binding fails late and vaguely beyond it.
const MAX_SOCKET_PATH_BYTES = 107;
const PROBE_TIMEOUT_MS = 2000;
// A stale lock is replaced by unlink + link; a racing process may do the same in between.
const LOCK_ATTEMPTS = 5;

// The first of these that is set and not empty.
function socketFolder() {
  for (const variable of ['PLUGHOST_SOCKETS_DIR', 'DAPR_COMPONENTS_SOCKETS_FOLDER',
                         'DAPR_COMPONENT_SOCKETS_FOLDER', 'LAYOTTO_COMPONENTS_SOCKETS_FOLDER']) {
    const value = process.env[variable];
    if (value) return value;
  }
  return DEFAULT_SOCKET_FOLDER;
}

function defaultSocketPath(name) {
  return path.join(socketFolder(), `${name}.sock`);
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';  // alive, but someone else's
  }
}

// Node has no flock, so the lock is a file holding the owner's pid, created atomically: it is
// written under a private name and then hard-linked to `lockPath`, which fails if the lock
// exists. A lock whose pid is gone (or that holds no pid, such as a crashed C++ sample's empty
// flock file) is stale and replaced. Returns the lock file's inode.
function lockExclusively(lockPath, socketPath) {
  const draft = `${lockPath}.${process.pid}.tmp`;
  fs.writeFileSync(draft, `${process.pid}\n`, {mode: 0o600});
  try {
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; ++attempt) {
      try {
        fs.linkSync(draft, lockPath);
        return fs.statSync(lockPath).ino;
      } catch (error) {
        if (error.code !== 'EEXIST') {
          throw new Error(`cannot create lock file ${lockPath}: ${error.message}`);
        }
      }
      let owner = NaN;
      try {
        owner = parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
      } catch (error) {
        if (error.code === 'ENOENT') continue;  // released meanwhile
        throw new Error(`cannot read lock file ${lockPath}: ${error.message}`);
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new Error(`socket ${socketPath} is claimed by process ${owner} (lock ${lockPath})`);
      }
      try {
        fs.unlinkSync(lockPath);
      } catch (error) {
        if (error.code !== 'ENOENT') {
          throw new Error(`cannot remove stale lock ${lockPath}: ${error.message}`);
        }
      }
    }
    throw new Error(`lock file ${lockPath} keeps being replaced; giving up`);
  } finally {
    fs.rmSync(draft, {force: true});
  }
}

// 'absent', 'stale' (a socket file nobody accepts on) or 'live'; throws for anything else.
async function probeSocket(socketPath) {
  let info;
  try {
    info = fs.lstatSync(socketPath);
  } catch (error) {
    if (error.code === 'ENOENT') return 'absent';
    throw new Error(`cannot inspect ${socketPath}: ${error.message}`);
  }
  if (!info.isSocket()) {
    throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  }
  return new Promise((resolve, reject) => {
    const probe = net.createConnection({path: socketPath});
    const timer = setTimeout(() => {
      probe.destroy();
      reject(new Error(`socket ${socketPath} accepts no connection and does not refuse one`));
    }, PROBE_TIMEOUT_MS);
    probe.once('connect', () => {
      clearTimeout(timer);
      probe.destroy();
      resolve('live');
    });
    probe.once('error', (error) => {
      clearTimeout(timer);
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve('stale');
      else reject(new Error(`cannot probe socket ${socketPath}: ${error.message}`));
    });
  });
}

class SocketGuard {
  constructor(socketPath, lockPath, lockInode) {
    this.socketPath = socketPath;
    this.lockPath_ = lockPath;
    this.lockInode_ = lockInode;
    this.socketInode_ = null;
    this.released_ = false;
  }

  // The server is listening: remember which file is ours and open it to the group.
  markBound() {
    const info = fs.lstatSync(this.socketPath);
    if (!info.isSocket()) throw new Error(`server started but ${this.socketPath} is not a socket`);
    this.socketInode_ = info.ino;
    fs.chmodSync(this.socketPath, SOCKET_MODE);
  }

  // Removes the socket and the lock, but only the files this process made: another process may
  // have replaced either since. Safe to call more than once, and from an 'exit' handler.
  release() {
    if (this.released_) return;
    this.released_ = true;
    const removeIfOurs = (file, inode) => {
      if (inode === null) return;
      try {
        if (fs.lstatSync(file).ino === inode) fs.unlinkSync(file);
      } catch (_) {
        // already gone
      }
    };
    removeIfOurs(this.socketPath, this.socketInode_);
    removeIfOurs(this.lockPath_, this.lockInode_);
  }
}

// Takes `socketPath` for this process, or throws an Error saying why not.
async function claimSocket(socketPath) {
  if (!socketPath) throw new Error('socket path is empty');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
  }
  const folder = path.dirname(socketPath);
  try {
    fs.mkdirSync(folder, {recursive: true, mode: FOLDER_MODE});
  } catch (error) {
    throw new Error(`cannot create socket folder ${folder}: ${error.message}`);
  }
  if (!fs.statSync(folder).isDirectory()) {
    throw new Error(`socket folder ${folder} is not a directory`);
  }

  const lockPath = `${socketPath}.lock`;
  const guard = new SocketGuard(socketPath, lockPath, lockExclusively(lockPath, socketPath));
  try {
    const state = await probeSocket(socketPath);
    if (state === 'live') throw new Error(`socket ${socketPath} is in use by another process`);
    if (state === 'stale') fs.rmSync(socketPath, {force: true});
  } catch (error) {
    guard.release();
    throw error;
  }
  return guard;
}

module.exports = {socketFolder, defaultSocketPath, claimSocket, DEFAULT_SOCKET_FOLDER};
