// Claims a component's Unix socket path safely. gRPC unlinks whatever file sits at a unix: path
// before binding, so a second server would silently steal a live socket; SocketGuard makes that
// impossible between cooperating processes (flock on "<socket>.lock") and refuses to replace a
// socket that still answers.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace plughost::sample {

// The folder Dapr-style components put their sockets in: DAPR_COMPONENTS_SOCKETS_FOLDER (what
// daprd reads), else DAPR_COMPONENT_SOCKETS_FOLDER (what Dapr's Kubernetes injector sets), else
// /tmp/dapr-components-sockets.
std::string ComponentSocketFolder();
// "<folder>/<name>.sock": hosts derive the component's type name from the file name.
std::string DefaultSocketPath(const std::string& component_name);

class SocketGuard {
 public:
  // Creates the socket's folder (0750) if missing, takes an exclusive lock on
  // "<socket_path>.lock", and removes a stale socket file (one nobody listens on). Returns
  // nullptr with `*error` set if the path is too long, the lock is held, a live server answers
  // on the socket, or the path is something other than a socket.
  static std::unique_ptr<SocketGuard> Claim(const std::string& socket_path, std::string* error);

  // Removes the socket (only if it is still the one this process bound) and the lock file,
  // then releases the lock.
  ~SocketGuard();
  SocketGuard(const SocketGuard&) = delete;
  SocketGuard& operator=(const SocketGuard&) = delete;

  // Call once the server is listening: records which socket file is ours and sets it to 0660,
  // because gRPC creates it with the process umask and the host may run as another user of the
  // same group.
  bool MarkBound(std::string* error);

  const std::string& socket_path() const { return socket_path_; }

 private:
  SocketGuard(std::string socket_path, std::string lock_path, int lock_fd)
      : socket_path_(std::move(socket_path)), lock_path_(std::move(lock_path)), lock_fd_(lock_fd) {}

  std::string socket_path_;
  std::string lock_path_;
  int lock_fd_;
  bool bound_ = false;
  dev_t socket_device_ = 0;
  ino_t socket_inode_ = 0;
};

}  // namespace plughost::sample
