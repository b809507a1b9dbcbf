// OutputBinding over a component socket: dapr.proto.components.v1.OutputBinding.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "host/components/bindings.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

class GrpcOutputBinding : public GrpcComponentBase<OutputBinding, bindingspb::OutputBinding> {
 public:
  using GrpcComponentBase::GrpcComponentBase;  // (socket_path, instance_name)

  // Component
  // Init, then ListOperations (as Dapr does); a failure of either fails Init.
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {kFeatureOutputBinding}; }

  // OutputBinding
  void Invoke(bindingspb::InvokeRequest request, const CallOptions& options,
              Callback<bindingspb::InvokeResponse> done) override;
  std::vector<std::string> Operations() const override;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> operations_;
};

}  // namespace plughost
