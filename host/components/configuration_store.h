// Native interface of a configuration store (plughost.components.v1.Configuration types).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "host/components/component.h"
#include "host/components/subscription.h"
#include "plughost/components/v1/configuration.pb.h"

namespace plughost {

namespace configpb = ::plughost::components::v1;

// Called with every batch of changed items, in order, until the subscription is closed.
using ConfigurationUpdateHandler = std::function<void(configpb::SubscribeConfigurationResponse)>;

class ConfigurationStore : public Component {
 public:
  // Empty keys means every item.
  virtual void Get(configpb::GetConfigurationRequest request, const CallOptions& options,
                   Callback<configpb::GetConfigurationResponse> done) = 0;
  // `started` receives the subscription id once the store accepted it; updates follow.
  virtual std::unique_ptr<Subscription> Subscribe(configpb::SubscribeConfigurationRequest request,
                                                  ConfigurationUpdateHandler on_update,
                                                  Callback<std::string> started) = 0;
};

}  // namespace plughost
