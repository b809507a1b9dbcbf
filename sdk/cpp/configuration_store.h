// What a configuration store author implements (plughost.components.v1.Configuration): one
// object per component instance. Served by ComponentServer::AddConfiguration<Store>().
//
// Subscribe: the SDK gives the subscription its id, sends the host the confirmation (a message
// with only the id), then calls Subscribe with a ConfigurationUpdates to send changes on. When
// the subscription ends (Unsubscribe with its id, or the host went away) the SDK ends the stream
// and calls Unsubscribe(id). With a worker pool these run there; else they must not block.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "plughost/components/v1/configuration.pb.h"
#include "sdk/cpp/component.h"

namespace plughost::sdk {

namespace configpb = ::plughost::components::v1;

// The changes of one subscription, towards the host. Thread-safe.
class ConfigurationUpdates {
 public:
  virtual ~ConfigurationUpdates() = default;
  virtual const std::string& id() const = 0;
  // Sends changed items (a deleted key: an empty item). False once the subscription ended.
  virtual bool Send(std::map<std::string, configpb::ConfigurationItem> items) = 0;
  virtual bool ended() = 0;
};

class ConfigurationStore : public Component {
 public:
  // Unknown keys are left out of the response; an empty key list asks for every item.
  virtual grpc::Status Get(const configpb::GetConfigurationRequest& request,
                           configpb::GetConfigurationResponse* response) = 0;
  virtual grpc::Status Subscribe(const configpb::SubscribeConfigurationRequest& request,
                                 std::shared_ptr<ConfigurationUpdates> updates) = 0;
  // The subscription `id` ended: stop sending on it. Called once per subscription.
  virtual void Unsubscribe(const std::string& id) = 0;
};

}  // namespace plughost::sdk
