// Runs a unary callback-API handler body and finishes the call with its status.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

namespace plughost::sample {

// `body` returns the call's grpc::Status. Handlers here only touch memory, so running the body
// inline on gRPC's callback thread is fine. An exception escaping a reaction is swallowed by
// gRPC and leaves the caller hanging until its deadline, so every exception becomes INTERNAL.
template <typename Body>
grpc::ServerUnaryReactor* ReactUnary(grpc::CallbackServerContext* context, Body&& body) {
  grpc::Status status;
  try {
    status = std::forward<Body>(body)();
  } catch (const std::exception& e) {
    status = grpc::Status(grpc::StatusCode::INTERNAL, std::string("unexpected error: ") + e.what());
  } catch (...) {
    status = grpc::Status(grpc::StatusCode::INTERNAL, "unexpected error");
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace plughost::sample
