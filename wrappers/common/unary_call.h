// One helper for every unary call a wrapper makes with the generated callback stubs: owns the
// context, request and response until the call completes, then hands the outcome on.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include <grpcpp/client_context.h>

#include "host/common/callback.h"
#include "host/common/log.h"
#include "wrappers/common/response_limit.h"

namespace plughost {

// `start(context, request*, response*, on_done)` must begin the call, e.g.
//   [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Get(ctx, req, resp, cb); }
template <typename Request, typename Response, typename Start>
void StartUnaryCall(std::unique_ptr<grpc::ClientContext> context, Request request, Start&& start,
                    Callback<Response> done) {
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    Request request;
    Response response;
    Callback<Response> done;
  };
  auto* call = new Call{std::move(context), std::move(request), Response{}, std::move(done)};
  start(call->context.get(), &call->request, &call->response, [call](grpc::Status status) {
    std::unique_ptr<Call> owned(call);
    CountResponseTooLarge(status);
    // A throwing callback would be swallowed by gRPC and leave the app's call hanging.
    try {
      owned->done(std::move(status), std::move(owned->response));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("wrapper", "completion callback threw: {}", e.what());
    } catch (...) {
      PH_LOG_ERROR("wrapper", "completion callback threw a non-exception");
    }
  });
}

// A unary RPC in a generated stub's callback API, named as `&Stub::async_interface::Get`. The
// stub declares each method twice (completion function, reactor); this type picks the first.
template <typename Async, typename Request, typename Response>
using AsyncUnaryMethod = void (Async::*)(grpc::ClientContext*, const Request*, Response*,
                                         std::function<void(grpc::Status)>);

// The same, naming the stub's method instead of a lambda that calls it:
//   StartUnaryCall(std::move(context), stub, &Stub::async_interface::Get, std::move(request),
//                  std::move(done));
// Request and Response are the method's, so a call site cannot pair it with the wrong types.
template <typename Stub, typename Async, typename Request, typename Response>
void StartUnaryCall(std::unique_ptr<grpc::ClientContext> context, Stub* stub,
                    AsyncUnaryMethod<Async, Request, Response> method,
                    std::type_identity_t<Request> request,
                    std::type_identity_t<Callback<Response>> done) {
  StartUnaryCall<Request, Response>(
      std::move(context), std::move(request),
      [stub, method](grpc::ClientContext* ctx, const Request* req, Response* resp,
                     std::function<void(grpc::Status)> on_done) {
        (stub->async()->*method)(ctx, req, resp, std::move(on_done));
      },
      std::move(done));
}

// A completion for calls whose response carries nothing the caller wants.
template <typename Response>
Callback<Response> StatusOnly(StatusCallback done) {
  return [done = std::move(done)](grpc::Status status, const Response& /*unused*/) mutable {
    done(std::move(status));
  };
}

}  // namespace plughost
