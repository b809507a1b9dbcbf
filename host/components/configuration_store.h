// Native interface of a configuration store (plughost.components.v1.Configuration types).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

  // Optional writes (Layotto's SaveConfiguration and DeleteConfiguration). Each key of `items`
  // is set to its item's value and metadata (the store assigns the version); an item whose value
  // is empty is deleted instead, as Layotto's API says. Subscribers see the changes.
  // `metadata` is the request's. Stores that cannot write answer UNIMPLEMENTED.
  virtual void Save(std::map<std::string, configpb::ConfigurationItem> /*items*/,
                    std::map<std::string, std::string> /*metadata*/, const CallOptions& /*options*/,
                    StatusCallback done) {
    done(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "this configuration store does not support saving items"));
  }
  // Deletes `keys` (unknown keys are ignored).
  virtual void Delete(std::vector<std::string> /*keys*/,
                      std::map<std::string, std::string> /*metadata*/,
                      const CallOptions& /*options*/, StatusCallback done) {
    done(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "this configuration store does not support deleting items"));
  }
};

}  // namespace plughost
