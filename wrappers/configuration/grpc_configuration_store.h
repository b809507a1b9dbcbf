// ConfigurationStore over a component socket: plughost.components.v1.Configuration.
//
// A subscription is one server-streaming Subscribe call. Its first message carries the
// subscription id (and no items); every later message is a batch of changed items. When the
// stream breaks while the subscription is open (the component restarted), it is opened again
// with backoff; Close() cancels the stream and sends Unsubscribe with the current id.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/components/configuration_store.h"
#include "plughost/components/v1/configuration.grpc.pb.h"
#include "wrappers/common/component_channel.h"
#include "wrappers/common/control_calls.h"

namespace plughost {

class GrpcConfigurationStore : public ConfigurationStore {
 public:
  GrpcConfigurationStore(std::string socket_path, std::string instance_name);

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override;
  void Ping(StatusCallback done) override;
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override;

  // ConfigurationStore
  void Get(configpb::GetConfigurationRequest request, const CallOptions& options,
           Callback<configpb::GetConfigurationResponse> done) override;
  // `on_update` runs on gRPC threads; it must not block and must not call Close().
  std::unique_ptr<Subscription> Subscribe(configpb::SubscribeConfigurationRequest request,
                                          ConfigurationUpdateHandler on_update,
                                          Callback<std::string> started) override;

 private:
  ComponentChannel channel_;
  // Shared with open subscriptions, which may outlive a call into this object.
  std::shared_ptr<configpb::Configuration::Stub> stub_;

  FeatureList features_;
};

}  // namespace plughost
