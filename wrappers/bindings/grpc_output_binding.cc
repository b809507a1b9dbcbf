#include "wrappers/bindings/grpc_output_binding.h"

#include "wrappers/common/unary_call.h"

namespace plughost {

GrpcOutputBinding::GrpcOutputBinding(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(bindingspb::OutputBinding::NewStub(channel_.channel())) {}

void GrpcOutputBinding::Init(const InitSpec& spec, StatusCallback done) {
  bindingspb::OutputBindingInitRequest request;
  request.mutable_metadata()->mutable_properties()->insert(spec.metadata.begin(),
                                                          spec.metadata.end());
  auto timeout = spec.timeout;
  auto* stub = stub_.get();
  StartUnaryCall<bindingspb::OutputBindingInitRequest, bindingspb::OutputBindingInitResponse>(
      channel_.NewControlContext(timeout, /*wait_for_ready=*/true), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Init(ctx, req, resp, cb); },
      [this, timeout, stub, done = std::move(done)](
          grpc::Status status, bindingspb::OutputBindingInitResponse) mutable {
        if (!status.ok()) {
          done(std::move(status));
          return;
        }
        // The API refuses operations the component did not list, so they are learnt here.
        StartUnaryCall<bindingspb::ListOperationsRequest, bindingspb::ListOperationsResponse>(
            channel_.NewControlContext(timeout), bindingspb::ListOperationsRequest{},
            [stub](auto* ctx, auto* req, auto* resp, auto cb) {
              stub->async()->ListOperations(ctx, req, resp, cb);
            },
            [this, done = std::move(done)](grpc::Status status,
                                           bindingspb::ListOperationsResponse listed) mutable {
              if (status.ok()) {
                std::lock_guard lock(mutex_);
                operations_.assign(listed.operations().begin(), listed.operations().end());
              }
              done(std::move(status));
            });
      });
}

void GrpcOutputBinding::Ping(StatusCallback done) {
  auto* stub = stub_.get();
  StartUnaryCall<bindingspb::PingRequest, bindingspb::PingResponse>(
      channel_.NewControlContext(std::chrono::seconds(2)), bindingspb::PingRequest{},
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Ping(ctx, req, resp, cb); },
      [done = std::move(done)](grpc::Status status, bindingspb::PingResponse) mutable {
        done(std::move(status));
      });
}

void GrpcOutputBinding::Invoke(bindingspb::InvokeRequest request, const CallOptions& options,
                               Callback<bindingspb::InvokeResponse> done) {
  auto* stub = stub_.get();
  StartUnaryCall<bindingspb::InvokeRequest, bindingspb::InvokeResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Invoke(ctx, req, resp, cb);
      },
      std::move(done));
}

std::vector<std::string> GrpcOutputBinding::Operations() const {
  std::lock_guard lock(mutex_);
  return operations_;
}

}  // namespace plughost
