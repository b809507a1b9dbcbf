// A server interceptor that times the API's streaming calls (and calls to methods the host does
// not serve) and records them in Metrics under their method and the component they named (the
// request's store/pubsub/binding/service name field). Unary calls are recorded by the handlers'
// MeteredUnaryReactor instead: the factory creates no interceptor for them, and gRPC then runs
// no interception hooks for the call at all.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "host/ops/metrics.h"

namespace plughost {

class InstanceTable;

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(Metrics* metrics, const InstanceTable* instances);

}  // namespace plughost
