// InputBinding over a component socket: dapr.proto.components.v1.InputBinding.
//
// Read opens the component's bidirectional Read stream (the host sends nothing first), hands
// each event to the handler and writes the handler's reply back as the event's ack. Unlike
// daprd, a stream that ends while the subscription is open is re-opened, with backoff, so
// events flow again once a restarted component is back.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "host/components/bindings.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

class GrpcInputBinding : public GrpcComponentBase<InputBinding, bindingspb::InputBinding> {
 public:
  using GrpcComponentBase::GrpcComponentBase;  // (socket_path, instance_name)

  // Component. The input side has no Features RPC; Dapr calls nothing after Init.
  void Init(const InitSpec& spec, StatusCallback done) override {
    InitOnly(channel_, stub_.get(), spec, std::move(done));
  }
  std::vector<std::string> Features() const override { return {kFeatureInputBinding}; }

  // InputBinding
  std::unique_ptr<Subscription> Read(BindingEventHandler handler) override;
};

}  // namespace plughost
