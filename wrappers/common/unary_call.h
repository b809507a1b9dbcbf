// One helper for every unary call a wrapper makes with the generated callback stubs: owns the
// context, request and response until the call completes, then hands the outcome on.
#pragma once

#include <exception>
#include <memory>
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

}  // namespace plughost
