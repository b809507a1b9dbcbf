// ConfigurationStore over a component socket: plughost.components.v1.Configuration.
//
// A subscription is one server-streaming Subscribe call. Its first message carries the
// subscription id (and no items); every later message is a batch of changed items. When the
// stream breaks while the subscription is open (the component restarted), it is opened again
// with backoff; Close() cancels the stream and sends Unsubscribe with the current id.
#pragma once

#include <memory>
#include <string>

#include "host/components/configuration_store.h"
#include "plughost/components/v1/configuration.grpc.pb.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

// The stub is shared with open subscriptions, which may outlive a call into this object.
class GrpcConfigurationStore
    : public GrpcFeaturedComponentBase<ConfigurationStore, configpb::Configuration> {
 public:
  using GrpcFeaturedComponentBase::GrpcFeaturedComponentBase;  // (socket_path, instance_name)

  // ConfigurationStore
  void Get(configpb::GetConfigurationRequest request, const CallOptions& options,
           Callback<configpb::GetConfigurationResponse> done) override;
  // `on_update` runs on gRPC threads and must not block; it may close the subscription (Close
  // then does not wait for that update).
  std::unique_ptr<Subscription> Subscribe(configpb::SubscribeConfigurationRequest request,
                                          ConfigurationUpdateHandler on_update,
                                          Callback<std::string> started) override;
};

}  // namespace plughost
