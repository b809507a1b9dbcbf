#include "host/api/metered_unary_reactor.h"

#include "host/api/api_context.h"
#include "host/ops/metrics.h"

namespace plughost {

MeteredUnaryReactor* MeteredUnaryReactor::Start(const ApiContext& context,
                                                std::string_view method,
                                                std::string_view component) {
  // On the heap, as OnDone deletes it.
  InFlightCounter().fetch_add(1, std::memory_order_relaxed);
  return new MeteredUnaryReactor(context, method, component);
}

void MeteredUnaryReactor::Finish(grpc::Status status) {
  Record(status.error_code());
  // The last touch of `this`: once finished, gRPC may run OnDone on another thread.
  grpc::ServerUnaryReactor::Finish(std::move(status));
}

void MeteredUnaryReactor::Record(grpc::StatusCode code) noexcept {
  if (context_.metrics == nullptr) return;
  auto latency = std::chrono::steady_clock::now() - start_;
  // Finish runs inside reactions, which must not throw; a new series allocates, and failing to
  // record must not keep the call from finishing.
  try {
    std::string_view component = component_;
    if (!component.empty() && !component_found_ && !context_.instances->HasName(component)) {
      component = kUnknownComponent;
    }
    context_.metrics->RecordCall(method_, component, code, latency);
  } catch (...) {
  }
}

}  // namespace plughost
