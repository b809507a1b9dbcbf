#include "host/lifecycle/socket_liveness.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace plughost {

SocketCheck CheckSocket(const std::string& path) {
  SocketCheck check;
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) {
    check.detail = "socket path too long";
    return check;
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    check.detail = std::string("socket(): ") + std::strerror(errno);
    return check;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    check.liveness = SocketLiveness::kListening;
    ucred credentials{};
    socklen_t size = sizeof(credentials);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0) {
      check.peer_uid = credentials.uid;
    }
  } else if (errno == EAGAIN) {
    check.liveness = SocketLiveness::kListening;  // backlog full: alive but busy
  } else if (errno == ENOENT) {
    check.liveness = SocketLiveness::kGone;
    check.detail = "socket file is gone";
  } else if (errno == ECONNREFUSED) {
    check.liveness = SocketLiveness::kRefused;
    check.detail = "connection refused (no process listening)";
  } else {
    check.detail = std::string("connect(): ") + std::strerror(errno);
  }
  ::close(fd);
  return check;
}

}  // namespace plughost
