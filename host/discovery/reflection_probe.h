// Asks a gRPC server which services it serves, by server reflection: v1alpha first (what
// Debian's and older servers offer), then v1 when v1alpha is UNIMPLEMENTED (v1-only servers,
// e.g. grpc-go's reflection.RegisterV1).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

#include "host/common/callback.h"

namespace plughost {

// Opens ServerReflectionInfo on `channel`, sends one list_services request and collects the
// names. Both attempts share `deadline`, so the whole call never outlives it. `done` runs once,
// on a gRPC callback thread, after the call's resources (and its hold on `channel`) are
// released. The status is gRPC's own (UNIMPLEMENTED when neither version is served); an
// in-band reflection error becomes a non-OK status. Never throws.
void ListServicesByReflection(std::shared_ptr<grpc::Channel> channel,
                              std::chrono::system_clock::time_point deadline,
                              Callback<std::vector<std::string>> done);

}  // namespace plughost
