// The host's own accept loop for the gRPC API's TCP port. Each accepted connection is handed to
// gRPC through its ExternalConnectionAcceptor, so gRPC serves it exactly as one it accepted.
//
// Why: gRPC 1.51's listener gives up for good after accept4 fails with EMFILE (a flood of idle
// connections under a 1,024-descriptor limit): the host stays up but deaf. This loop waits (one
// Backoff) and accepts again once descriptors are free, and while it cannot accept, the kernel's
// backlog holds new connections instead of dropping the port.
//
// It also bounds the connections open at once (`max_connections`): beyond it a new connection
// is closed as soon as it is accepted, counted in plughost_limit_hits_total, so idle clients
// cannot take every descriptor the host has.
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>
#include <string>

namespace plughost {

class GrpcTcpListener {
 public:
  // Binds host:port (port 0 picks a free one); null with `*error` on failure. Connections are
  // refused until Start: the port accepting is the sign that the host finished starting.
  // `max_connections` 0 means no bound.
  static std::unique_ptr<GrpcTcpListener> Bind(const std::string& host, int port,
                                               size_t max_connections, std::string* error);
  ~GrpcTcpListener();  // stops accepting; connections already handed over belong to gRPC

  int port() const;
  // Listens and starts accepting into `acceptor`, which must belong to a started server; false
  // with `*error` when the port cannot listen.
  bool Start(std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor,
             std::string* error);

 private:
  class Impl;
  explicit GrpcTcpListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace plughost
