// The largest answer the host takes from a component, and the count of answers refused for it.
// Without a bound one 300 MiB answer costs ~780 MB at peak; 16 MiB is four times gRPC's default
// and far above any value a state store or binding returns in practice.
#pragma once

#include <grpcpp/support/status.h>

#include "host/common/limit_hits.h"

namespace plughost {

inline constexpr int kMaxComponentResponseBytes = 16 << 20;

// Counts a call or stream that gRPC ended because the component's message passed the bound.
inline void CountResponseTooLarge(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
      status.error_message().find("larger than max") != std::string::npos) {
    limit_hits::Hit(limit_hits::Limit::kComponentResponseTooLarge);
  }
}

}  // namespace plughost
