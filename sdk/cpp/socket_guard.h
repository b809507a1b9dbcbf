// Claims a component's Unix socket path safely. gRPC unlinks whatever sits at a unix: path
// before it binds, so a second server silently steals a live socket; SocketGuard refuses to
// start when another process holds the path (flock on "<socket>.lock") or a server answers on
// it (a connect() probe, which also catches servers that do not take the lock).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace plughost::sdk {

class SocketGuard {
 public:
  // Creates the socket's folder (0750) if missing, takes an exclusive lock on
  // "<socket_path>.lock" and removes a stale socket file (one nobody listens on).
  // FAILED_PRECONDITION when the lock is held or a live server answers on the socket;
  // INVALID_ARGUMENT when the path is too long or is something other than a socket;
  // another code when the file system refuses.
  static absl::StatusOr<std::unique_ptr<SocketGuard>> Claim(const std::string& socket_path);

  // Removes the socket (only if it is still the one this process bound), then the lock file,
  // then releases the lock.
  ~SocketGuard();
  SocketGuard(const SocketGuard&) = delete;
  SocketGuard& operator=(const SocketGuard&) = delete;

  // Call once the server listens: records which socket file is ours and sets it to 0660,
  // because gRPC creates it with the process umask and the host may run as another user of
  // the same group.
  absl::Status MarkBound();

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

}  // namespace plughost::sdk
