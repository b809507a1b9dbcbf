// InputBinding over a component socket: dapr.proto.components.v1.InputBinding.
//
// Read opens the component's bidirectional Read stream (the host sends nothing first), hands
// each event to the handler and writes the handler's reply back as the event's ack. Unlike
// daprd, a stream that ends while the subscription is open is re-opened, with backoff, so
// events flow again once a restarted component is back.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "host/components/bindings.h"
#include "wrappers/common/component_channel.h"

namespace plughost {

class GrpcInputBinding : public InputBinding {
 public:
  GrpcInputBinding(std::string socket_path, std::string instance_name);

  // Component. The input side has no Features RPC; Dapr calls nothing after Init.
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {kFeatureInputBinding}; }
  void Ping(StatusCallback done) override;
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override;

  // InputBinding
  std::unique_ptr<Subscription> Read(BindingEventHandler handler) override;

 private:
  ComponentChannel channel_;
  // Shared with the read loops, which may outlive this wrapper by a few callbacks.
  std::shared_ptr<bindingspb::InputBinding::Stub> stub_;
};

}  // namespace plughost
