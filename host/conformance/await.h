// Turns the host's asynchronous component calls into results for the conformance kit. Used on
// the kit's own thread only, never inside a gRPC callback: the callback merely fulfils a
// promise. Every wait is bounded, so a hung component fails its case instead of hanging the kit.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "host/common/callback.h"
#include "host/components/component.h"

namespace plughost::conformance {

// How long the component gets for one call (the gRPC deadline the adapters set).
inline constexpr std::chrono::milliseconds kCallTimeout{5000};
// How long Init gets.
inline constexpr std::chrono::milliseconds kInitTimeout{10000};
// Added to a call's own deadline before the kit gives up waiting for its callback.
inline constexpr std::chrono::milliseconds kWaitGrace{2000};

template <typename Response>
struct Reply {
  grpc::Status status;
  Response value{};
};

// The options every data call carries: no app call, the kit's deadline.
inline CallOptions KitCallOptions() {
  CallOptions options;
  options.default_timeout = kCallTimeout;
  return options;
}

inline grpc::Status NoAnswer(std::chrono::milliseconds waited) {
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "no answer within " + std::to_string(waited.count()) +
                          " ms (the conformance kit stopped waiting)");
}

// `start(Callback<Response>)` begins the call; waits for its callback, at most `wait`.
template <typename Response, typename Start>
Reply<Response> Await(Start&& start, std::chrono::milliseconds wait = kCallTimeout + kWaitGrace) {
  auto promise = std::make_shared<std::promise<Reply<Response>>>();
  auto future = promise->get_future();
  std::forward<Start>(start)(
      Callback<Response>([promise](grpc::Status status, Response response) mutable {
        promise->set_value(Reply<Response>{std::move(status), std::move(response)});
      }));
  if (future.wait_for(wait) != std::future_status::ready) return {NoAnswer(wait), Response{}};
  return future.get();
}

// The same for calls that answer with a status only: `start(StatusCallback)`.
template <typename Start>
grpc::Status AwaitStatus(Start&& start,
                         std::chrono::milliseconds wait = kCallTimeout + kWaitGrace) {
  auto promise = std::make_shared<std::promise<grpc::Status>>();
  auto future = promise->get_future();
  std::forward<Start>(start)(StatusCallback(
      [promise](grpc::Status status) mutable { promise->set_value(std::move(status)); }));
  if (future.wait_for(wait) != std::future_status::ready) return NoAnswer(wait);
  return future.get();
}

// "OK" or "ABORTED: <message>", for failure messages.
std::string Describe(const grpc::Status& status);
// The canonical name of a code: "FAILED_PRECONDITION".
std::string CodeName(grpc::StatusCode code);

}  // namespace plughost::conformance
