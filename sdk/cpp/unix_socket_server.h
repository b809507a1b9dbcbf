// Starts a gRPC server on a Unix socket so that the socket path appears only once the server is
// whole. gRPC's ServerBuilder starts serving before it finishes its plugins, and the reflection
// plugin hands the reflection service its service list in that last step: a reflection request
// arriving in between (a host probes a socket the moment it appears) crashes gRPC 1.51's
// reflection service. So the server listens on a hidden staging name beside the socket and is
// renamed into place after BuildAndStart returned. Hosts ignore names starting with '.'.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/status/statusor.h"

namespace plughost::sdk {

// The hidden name the server listens on before it is published at `socket_path`, or
// `socket_path` itself when the staging name would not fit a Unix socket address.
std::string StagingSocketPath(const std::string& socket_path);

// Adds the listening port to `builder`, builds and starts the server, then publishes it at
// `socket_path` (replacing whatever file is there). The caller has made sure no live server
// owns `socket_path` (see SocketGuard).
absl::StatusOr<std::unique_ptr<grpc::Server>> StartOnUnixSocket(grpc::ServerBuilder& builder,
                                                                const std::string& socket_path);

}  // namespace plughost::sdk
