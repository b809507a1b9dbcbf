// A server interceptor that times every API call and records it in Metrics under its method
// and the component it named (the request's store/pubsub/binding/service name field), so
// built-in and pluggable components are measured the same way without touching handlers.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "host/ops/metrics.h"

namespace plughost {

class InstanceTable;

// Names no instance has are recorded under kUnknownComponent, so an app sending arbitrary names
// cannot make the host keep a series per name.
inline constexpr char kUnknownComponent[] = "(unknown)";

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeMetricsInterceptorFactory(
    Metrics* metrics, const InstanceTable* instances);

}  // namespace plughost
