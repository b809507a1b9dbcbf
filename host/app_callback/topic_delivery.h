// Delivers pub/sub messages to the app over its callback server, as daprd does in gRPC mode:
// ask the app which topics it subscribes to (AppCallback.ListTopicSubscriptions, retried with
// backoff while the app is unreachable, so an app that starts after the host still gets its
// messages), subscribe each listed topic on its pubsub, and hand every message to OnTopicEvent
// as a CloudEvent (TopicEventRequest). The app's answer decides the component's ack:
//   SUCCESS, or UNIMPLEMENTED           ack
//   DROP                                ack, and one log line
//   RETRY, any error, unreachable app   reject, so the component delivers it again
#pragma once

#include <chrono>
#include <memory>

#include "host/api/api_context.h"

namespace plughost {

struct TopicDeliveryOptions {
  // Bound on each OnTopicEvent call.
  std::chrono::milliseconds callback_timeout{std::chrono::seconds(30)};
  // Bound on each ListTopicSubscriptions attempt.
  std::chrono::milliseconds list_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds first_retry{100};
  std::chrono::milliseconds max_retry{5000};
};

class TopicDelivery {
 public:
  // `context` (its instances, app_channel and subscriptions) must outlive this object.
  explicit TopicDelivery(ApiContext* context, TopicDeliveryOptions options = {});
  ~TopicDelivery();  // stops, without waiting for in-flight events

  // Returns at once; listing and delivery go on in gRPC's callbacks. A no-op without an app
  // channel.
  void Start();
  // Closes every subscription (no event is delivered after this returns) and waits, up to
  // `drain`, for events already at the app, so their answers reach the components; the rest
  // are cancelled (and so rejected).
  void Stop(std::chrono::milliseconds drain = std::chrono::seconds(2));

 private:
  class State;
  std::shared_ptr<State> state_;
};

}  // namespace plughost
