// Completion callbacks used by every asynchronous interface in the host.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/functional/any_invocable.h"

namespace plughost {

// Called exactly once with the outcome; `response` is meaningful only when `status.ok()`.
// Callbacks may run on any gRPC callback thread and must not block or throw.
template <typename Response>
using Callback = absl::AnyInvocable<void(grpc::Status status, Response response)>;

// Called exactly once with the outcome of an operation that returns nothing.
using StatusCallback = absl::AnyInvocable<void(grpc::Status status)>;

}  // namespace plughost
