#include "wrappers/bindings/grpc_output_binding.h"

#include "wrappers/common/control_calls.h"
#include "wrappers/common/unary_call.h"

namespace plughost {

GrpcOutputBinding::GrpcOutputBinding(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(bindingspb::OutputBinding::NewStub(channel_.channel())) {}

void GrpcOutputBinding::Init(const InitSpec& spec, StatusCallback done) {
  auto* stub = stub_.get();
  auto timeout = spec.timeout;
  // The API refuses operations the component did not list, so they are learnt here.
  auto list_operations = [this, stub, timeout](StatusCallback done) {
    StartUnaryCall<bindingspb::ListOperationsRequest, bindingspb::ListOperationsResponse>(
        channel_.NewControlContext(timeout), bindingspb::ListOperationsRequest{},
        [stub](auto* ctx, auto* req, auto* resp, auto cb) {
          stub->async()->ListOperations(ctx, req, resp, cb);
        },
        [this, done = std::move(done)](const grpc::Status& status,
                                       const bindingspb::ListOperationsResponse& listed) mutable {
          if (status.ok()) {
            std::lock_guard lock(mutex_);
            operations_.assign(listed.operations().begin(), listed.operations().end());
          }
          done(status);
        });
  };
  InitThen<bindingspb::OutputBindingInitRequest, bindingspb::OutputBindingInitResponse>(
      channel_, stub, spec, std::move(list_operations), std::move(done));
}

void GrpcOutputBinding::Ping(StatusCallback done) {
  PingWithin(kDefaultPingTimeout, std::move(done));
}

void GrpcOutputBinding::PingWithin(std::chrono::milliseconds timeout, StatusCallback done) {
  PingComponent(channel_, stub_.get(), timeout, std::move(done));
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
