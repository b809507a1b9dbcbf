// Delivers pub/sub messages to the app over its callback server, as daprd does in gRPC mode:
// ask the app which topics it subscribes to (AppCallback.ListTopicSubscriptions, retried with
// backoff while the app is unreachable, so an app that starts after the host still gets its
// messages), subscribe each listed topic on its pubsub, and hand every message to OnTopicEvent
// as a CloudEvent (TopicEventRequest). The app's answer decides the component's ack:
//   SUCCESS, or UNIMPLEMENTED           ack
//   DROP                                ack, and one log line
//   RETRY, any error, unreachable app   reject, so the component delivers it again
//
// Shutdown pauses before it closes: no new message goes to the app, events already there get
// their answers acked on the still-open streams, and only then do the streams close. Messages
// that arrived meanwhile are never acked, so the component keeps them for the next subscriber.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dapr/proto/runtime/v1/appcallback.pb.h"
#include "host/api/api_context.h"
#include "host/components/kind.h"

namespace plughost {

class SubscriptionLag;

struct TopicDeliveryOptions {
  // Bound on each OnTopicEvent call.
  std::chrono::milliseconds callback_timeout{std::chrono::seconds(30)};
  // Bound on each ListTopicSubscriptions attempt.
  std::chrono::milliseconds list_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds first_retry{100};
  std::chrono::milliseconds max_retry{5000};
  // Where pending messages are reported (/metrics); none when null. Must outlive deliveries.
  SubscriptionLag* lag = nullptr;
  // Declarative subscriptions (Dapr Subscription resources), subscribed beside the ones the app
  // lists; when the app lists the same pubsub and topic, the declarative one is kept.
  std::vector<dapr::proto::runtime::v1::TopicSubscription> declarative;
};

class TopicDelivery {
 public:
  // `context` (its instances, app_channel and subscriptions) must outlive this object.
  explicit TopicDelivery(ApiContext* context, TopicDeliveryOptions options = {});
  ~TopicDelivery();  // stops, without waiting for in-flight events

  // Returns at once; listing and delivery go on in gRPC's callbacks. A no-op without an app
  // channel.
  void Start();
  // Pauses every subscription (no event goes to the app from now on; messages arriving are held
  // unacked), waits up to `drain` for events already at the app so that their answers reach
  // the components, cancels the rest (rejecting them), then closes the subscriptions. No event
  // is delivered after this returns.
  void Stop(std::chrono::milliseconds drain = std::chrono::seconds(2));
  // An instance created after startup (hot-plug): a pubsub the app listed topics of before it
  // existed gets those subscriptions now. Safe from any thread.
  void InstanceAdded(ComponentKind kind, const std::string& name);

 private:
  class State;
  std::shared_ptr<State> state_;
};

}  // namespace plughost
