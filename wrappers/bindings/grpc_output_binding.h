// OutputBinding over a component socket: dapr.proto.components.v1.OutputBinding.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "host/components/bindings.h"
#include "wrappers/common/component_channel.h"

namespace plughost {

class GrpcOutputBinding : public OutputBinding {
 public:
  GrpcOutputBinding(std::string socket_path, std::string instance_name);

  // Component
  // Init, then ListOperations (as Dapr does); a failure of either fails Init.
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {kFeatureOutputBinding}; }
  void Ping(StatusCallback done) override;
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override;

  // OutputBinding
  void Invoke(bindingspb::InvokeRequest request, const CallOptions& options,
              Callback<bindingspb::InvokeResponse> done) override;
  std::vector<std::string> Operations() const override;

 private:
  ComponentChannel channel_;
  std::unique_ptr<bindingspb::OutputBinding::Stub> stub_;

  mutable std::mutex mutex_;
  std::vector<std::string> operations_;
};

}  // namespace plughost
