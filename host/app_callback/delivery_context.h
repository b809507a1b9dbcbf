// What deliveries to the app (pub/sub messages, input-binding events and what an event's
// response asks for) need from the host: the instances, the app's channel, the subscription
// list GetMetadata reports and the inbound circuit breakers. The runtime builds it from the
// parts the API shares, so delivery depends on none of the API.
#pragma once

#include <chrono>
#include <memory>

#include "host/app_callback/active_subscriptions.h"
#include "host/app_callback/app_channel.h"
#include "host/app_callback/delivery_support.h"
#include "host/registry/instance_table.h"

namespace plughost {

struct DeliveryContext {
  InstanceTable* instances = nullptr;
  // The app's callback server; deliveries are a no-op without one.
  std::shared_ptr<AppChannel> app_channel;
  // Where subscriptions are listed while they deliver; must outlive the deliveries.
  ActiveSubscriptions* subscriptions = nullptr;
  // Shared with the API's streaming subscriptions; must outlive the deliveries.
  delivery::InboundBreakers* inbound_breakers = nullptr;
  // Bound on component calls a delivery makes on the app's behalf (a binding event's state
  // saves and output sends).
  std::chrono::milliseconds component_timeout{std::chrono::seconds(30)};
};

}  // namespace plughost
