#include "wrappers/bindings/grpc_output_binding.h"

namespace plughost {

void GrpcOutputBinding::Init(const InitSpec& spec, StatusCallback done) {
  // The API refuses operations the component did not list, so they are learnt here.
  auto list_operations = [this, timeout = spec.timeout](StatusCallback done) {
    StartUnaryCall(
        channel_.NewControlContext(timeout), stub_.get(), &Async::ListOperations,
        bindingspb::ListOperationsRequest{},
        [this, done = std::move(done)](const grpc::Status& status,
                                       const bindingspb::ListOperationsResponse& listed) mutable {
          if (status.ok()) {
            std::lock_guard lock(mutex_);
            operations_.assign(listed.operations().begin(), listed.operations().end());
          }
          done(status);
        });
  };
  InitThen(channel_, stub_.get(), spec, std::move(list_operations), std::move(done));
}

void GrpcOutputBinding::Invoke(bindingspb::InvokeRequest request, const CallOptions& options,
                               Callback<bindingspb::InvokeResponse> done) {
  Call(&Async::Invoke, std::move(request), options, std::move(done));
}

std::vector<std::string> GrpcOutputBinding::Operations() const {
  std::lock_guard lock(mutex_);
  return operations_;
}

}  // namespace plughost
