// A gRPC service and the full name reflection lists for it: what the kind adapters hand to
// ComponentServer.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/impl/service_type.h>

namespace plughost::sdk {

struct NamedService {
  std::string name;
  std::unique_ptr<grpc::Service> service;
};

}  // namespace plughost::sdk
