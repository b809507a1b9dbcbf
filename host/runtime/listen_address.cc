#include "host/runtime/listen_address.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace plughost {
namespace {

// True when something accepts connections on `path`.
bool SocketIsLive(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}

}  // namespace

absl::StatusOr<ListenAddress> PrepareListenAddress(const std::string& address) {
  ListenAddress out;
  if (address.rfind("unix:", 0) == 0) {
    out.is_unix = true;
    out.unix_path = address.substr(5);
    if (out.unix_path.rfind("//", 0) == 0) out.unix_path = out.unix_path.substr(2);
    if (out.unix_path.empty()) return absl::InvalidArgumentError("empty Unix socket path");
    if (out.unix_path.size() > 107) {
      return absl::InvalidArgumentError("Unix socket paths are limited to 107 characters");
    }
    struct stat st {};
    if (::lstat(out.unix_path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        return absl::FailedPreconditionError(
            fmt::format("{} exists and is not a socket", out.unix_path));
      }
      if (SocketIsLive(out.unix_path)) {
        return absl::FailedPreconditionError(
            fmt::format("{} is in use by another process", out.unix_path));
      }
      ::unlink(out.unix_path.c_str());
    }
    out.grpc_target = "unix:" + out.unix_path;
    return out;
  }
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("expected host:port or unix:/path");
  }
  out.host = address.substr(0, colon);
  if (out.host.empty()) out.host = "127.0.0.1";
  const std::string port_text = address.substr(colon + 1);
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a port number", port_text));
  }
  out.port = static_cast<int>(port);
  out.grpc_target = fmt::format("{}:{}", out.host, out.port);
  return out;
}

}  // namespace plughost
