"""Where a component listens, and claiming that socket without stealing a live one.

The folder honours the same variables as the host and Dapr: PLUGHOST_SOCKETS_DIR,
DAPR_COMPONENTS_SOCKETS_FOLDER,
then DAPR_COMPONENT_SOCKETS_FOLDER (Dapr's Kubernetes spelling), then Layotto's
LAYOTTO_COMPONENTS_SOCKETS_FOLDER, then /tmp/dapr-components-sockets. The
socket is <folder>/<name>.sock; the host uses <name> as the component's type.

Claiming follows the C++ sample (examples/components/cpp/socket_guard.cc):
- an exclusive flock on <socket>.lock decides who owns the path;
- a socket some server still answers on is never replaced;
- a socket file nobody listens on (left by a crash) is removed;
- once bound, the socket is made 0660; on release both files are removed.
"""

import errno
import fcntl
import os
import socket
import stat

DEFAULT_FOLDER = "/tmp/dapr-components-sockets"
FOLDER_VARIABLES = (
    "PLUGHOST_SOCKETS_DIR",
    "DAPR_COMPONENTS_SOCKETS_FOLDER",
    "DAPR_COMPONENT_SOCKETS_FOLDER",
    "LAYOTTO_COMPONENTS_SOCKETS_FOLDER",
)
FOLDER_MODE = 0o750
SOCKET_MODE = 0o660
# sun_path holds 108 bytes including the terminator.
MAX_SOCKET_PATH = 107
# Another process may unlink the lock file between our open() and flock().
_LOCK_ATTEMPTS = 5


class ClaimError(Exception):
    """The socket cannot be claimed; the message says why."""


def socket_folder(environ=None):
    environ = os.environ if environ is None else environ
    for variable in FOLDER_VARIABLES:
        if environ.get(variable):
            return environ[variable]
    return DEFAULT_FOLDER


def default_socket_path(name, environ=None):
    return os.path.join(socket_folder(environ), name + ".sock")


def _make_folder(folder):
    try:
        os.makedirs(folder, mode=FOLDER_MODE, exist_ok=True)
    except OSError as error:
        raise ClaimError(f"cannot create socket folder {folder}: {error.strerror}") from None
    if not os.path.isdir(folder):
        raise ClaimError(f"socket folder {folder} is not a directory")


def _lock(lock_path, socket_path):
    for _ in range(_LOCK_ATTEMPTS):
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise ClaimError(f"cannot open lock file {lock_path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise ClaimError(f"socket {socket_path} is claimed by another process "
                                 f"(lock {lock_path} is held)") from None
            raise ClaimError(f"cannot lock {lock_path}: {error.strerror}") from None
        # The previous owner unlinks the lock file on exit; if that happened after our open(),
        # we hold a lock nobody else will ever see, and must lock the current file instead.
        try:
            held, current = os.fstat(fd), os.stat(lock_path)
            if (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino):
                return fd
        except OSError:
            pass
        os.close(fd)
    raise ClaimError(f"lock file {lock_path} keeps being replaced; giving up")


def _remove_if_stale(path):
    """Removes `path` if it is a socket nobody accepts on; raises if it is live or not a socket."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ClaimError(f"{path} exists and is not a socket; refusing to replace it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        pass  # stale: its server is gone
    except OSError as error:
        raise ClaimError(f"cannot probe socket {path}: {error.strerror}") from None
    else:
        raise ClaimError(f"socket {path} is in use by another process")
    finally:
        probe.close()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as error:
        raise ClaimError(f"cannot remove stale socket {path}: {error.strerror}") from None


class SocketGuard:
    """Owns a socket path from claim() to release(); use claim() to create one."""

    def __init__(self, socket_path, lock_path, lock_fd):
        self.socket_path = socket_path
        self._lock_path = lock_path
        self._lock_fd = lock_fd
        self._bound_identity = None

    @classmethod
    def claim(cls, socket_path):
        if not socket_path:
            raise ClaimError("socket path is empty")
        if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH:
            raise ClaimError(f"socket path {socket_path} is longer than {MAX_SOCKET_PATH} bytes")
        _make_folder(os.path.dirname(os.path.abspath(socket_path)))
        lock_path = socket_path + ".lock"
        guard = cls(socket_path, lock_path, _lock(lock_path, socket_path))
        try:
            _remove_if_stale(socket_path)
        except ClaimError:
            guard.release()
            raise
        return guard

    def mark_bound(self):
        """Call once the server listens: records the file we bound and sets its mode."""
        try:
            info = os.lstat(self.socket_path)
        except FileNotFoundError:
            raise ClaimError(f"server started but socket {self.socket_path} is missing") from None
        if not stat.S_ISSOCK(info.st_mode):
            raise ClaimError(f"server started but {self.socket_path} is not a socket")
        self._bound_identity = (info.st_dev, info.st_ino)
        try:
            os.chmod(self.socket_path, SOCKET_MODE)
        except OSError as error:
            raise ClaimError(f"cannot chmod socket {self.socket_path}: {error.strerror}") from None

    def release(self):
        if self._lock_fd is None:
            return
        # Only remove the file we bound: another server may have replaced it since.
        if self._bound_identity is not None:
            try:
                info = os.lstat(self.socket_path)
                if (info.st_dev, info.st_ino) == self._bound_identity:
                    os.unlink(self.socket_path)
            except OSError:
                pass
        # Unlink before unlocking, so a waiting process never locks a file about to vanish.
        try:
            os.unlink(self._lock_path)
        except OSError:
            pass
        os.close(self._lock_fd)
        self._lock_fd = None
