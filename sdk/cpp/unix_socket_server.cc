#include "sdk/cpp/unix_socket_server.h"

#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/status.h"

namespace plughost::sdk {

std::string StagingSocketPath(const std::string& socket_path) {
  size_t slash = socket_path.find_last_of('/');
  std::string folder = slash == std::string::npos ? "" : socket_path.substr(0, slash + 1);
  std::string file = slash == std::string::npos ? socket_path : socket_path.substr(slash + 1);
  std::string staging = folder + "." + file + ".starting";
  if (staging.size() >= sizeof(sockaddr_un::sun_path)) return socket_path;
  return staging;
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartOnUnixSocket(grpc::ServerBuilder& builder,
                                                                const std::string& socket_path) {
  const std::string staging = StagingSocketPath(socket_path);
  // A staging file left by a process that died while starting.
  if (staging != socket_path) ::unlink(staging.c_str());
  builder.AddListeningPort("unix:" + staging, grpc::InsecureServerCredentials());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return absl::UnavailableError("cannot listen on " + staging);
  if (staging != socket_path && ::rename(staging.c_str(), socket_path.c_str()) != 0) {
    int error = errno;
    server->Shutdown(std::chrono::system_clock::now());
    server->Wait();
    ::unlink(staging.c_str());
    return absl::ErrnoToStatus(error, "cannot move socket " + staging + " to " + socket_path +
                                          ": " + std::strerror(error));
  }
  return server;
}

}  // namespace plughost::sdk
