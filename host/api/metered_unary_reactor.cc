#include "host/api/metered_unary_reactor.h"

#include <exception>
#include <new>
#include <string>
#include <utility>

#include "host/api/api_context.h"
#include "host/common/limit_hits.h"
#include "host/common/log.h"
#include "host/ops/metrics.h"

namespace plughost {
namespace {

// The reactor the handler running on this thread started. Handlers run synchronously on one
// thread and start their reactor first, so in a handler's catch-all this is that handler's
// reactor (cleared before each Start, so a Start that throws leaves no stale one behind).
thread_local MeteredUnaryReactor* t_started = nullptr;

std::string Describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace

MeteredUnaryReactor* MeteredUnaryReactor::Start(const ApiContext& context, std::string_view method,
                                                std::string_view component) {
  t_started = nullptr;
  // On the heap, as OnDone deletes it.
  t_started = new MeteredUnaryReactor(context, method, component);
  return t_started;
}

grpc::ServerUnaryReactor* MeteredUnaryReactor::FinishThrown(const ApiContext& context,
                                                            std::string_view method) noexcept {
  limit_hits::Hit(limit_hits::Limit::kHandlerException);
  std::string what = Describe(std::current_exception());
  MeteredUnaryReactor* reactor = std::exchange(t_started, nullptr);
  if (reactor == nullptr) {
    reactor = new (std::nothrow) MeteredUnaryReactor(context, method, {});
    if (reactor == nullptr) return nullptr;  // out of memory: gRPC answers UNKNOWN itself
  }
  try {
    PH_LOG_ERROR("api", "{} failed unexpectedly: {}", reactor->method_, what);
  } catch (...) {
  }
  reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "unexpected error: " + what));
  return reactor;
}

void MeteredUnaryReactor::Finish(grpc::Status status) {
  if (finished_.exchange(true, std::memory_order_acq_rel)) return;
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
