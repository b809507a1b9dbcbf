// The reactor every unary API handler answers through: it finishes the call as gRPC's default
// reactor would, and records it in Metrics (method, component, status code, latency since the
// handler began). Recording here rather than in a server interceptor spares each call gRPC's
// interception machinery (an interceptor per call, hooks on every batch, a reflective read of
// the request), which cost ~15-20% of the host's CPU per built-in GetState.
#pragma once

#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace plughost {

struct ApiContext;

// The guard of every unary handler. A handler that throws would leave its reactor allocated and
// never finished (the caller waits for its deadline, or gets gRPC's bare UNKNOWN, and the host
// grows with every such call), so each handler is a function-try-block ending in
//
//   } catch (...) {
//     return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/GetState");
//   }
//
// and calls Start as its first statement. FinishThrown finishes the reactor that the handler
// started on this thread with INTERNAL (once: an answer already given stands), counts the hit
// in /metrics, and returns it for gRPC to complete and delete.
class MeteredUnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  // Starts the clock of one call. `method` is its label ("Dapr/GetState"); `component` is the
  // instance name the request carries, empty for calls that name none. Both must outlive the
  // call: a string literal, and a field of the request (gRPC frees the request after OnDone).
  // Must be the handler's first statement (see FinishThrown).
  static MeteredUnaryReactor* Start(const ApiContext& context, std::string_view method,
                                    std::string_view component = {});

  // For a handler's catch-all: see the class comment. `method` labels a reactor made here when
  // the handler threw before it had one. Never throws.
  static grpc::ServerUnaryReactor* FinishThrown(const ApiContext& context,
                                                std::string_view method) noexcept;

  // A lookup by `name` found an instance. When that is the call's component, Finish need not
  // check that the name is an instance's (a scan of the instance table).
  void NoteFound(std::string_view name) {
    if (name == component_) component_found_ = true;
  }

  // Records the call, then finishes it; a second Finish is ignored. Hides
  // ServerUnaryReactor::Finish: handlers keep this type, never a base pointer, so no call
  // finishes unrecorded.
  void Finish(grpc::Status status);

  void OnDone() override {
    InFlightCounter().fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }

  // Unary API calls begun and not yet done, in this process: shutdown waits for these, not
  // for clients that merely keep a connection open.
  static int64_t InFlight() { return InFlightCounter().load(std::memory_order_relaxed); }
  void OnCancel() override {}
  // OnDone and OnCancel are trivial, so gRPC may run them on the thread that completes the call,
  // as it does for its own default reactor, instead of handing every call's OnDone to an
  // executor thread (a wake-up per call). Not public gRPC API (1.51): `override` makes the build
  // fail loudly if a later gRPC drops it.
  bool InternalInlineable() override { return true; }

 private:
  MeteredUnaryReactor(const ApiContext& context, std::string_view method,
                      std::string_view component)
      : context_(context), method_(method), component_(component) {
    InFlightCounter().fetch_add(1, std::memory_order_relaxed);  // OnDone takes it back
  }
  void Record(grpc::StatusCode code) noexcept;
  static std::atomic<int64_t>& InFlightCounter() {
    static std::atomic<int64_t> calls{0};
    return calls;
  }

  const ApiContext& context_;
  std::string_view method_;
  std::string_view component_;
  bool component_found_ = false;
  std::atomic<bool> finished_{false};
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace plughost
