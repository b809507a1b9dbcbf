// Delivers pub/sub messages to the app over its callback server, as daprd does in gRPC mode:
// ask the app which topics it subscribes to (AppCallback.ListTopicSubscriptions, retried with
// backoff while the app is unreachable, so an app that starts after the host still gets its
// messages), subscribe each listed topic (and each declarative subscription the app did not
// list itself) on its pubsub, and hand every message to OnTopicEvent as a CloudEvent
// (TopicEventRequest), with the message's metadata and "pubsubname" as gRPC metadata.
//
// Per subscription, one message is at the app at a time, in arrival order (as daprd for
// pluggable pubsubs); subscription metadata "plughost.io/maxConcurrency" raises that. There is
// no deadline on a delivery unless the pubsub's inbound delivery policy sets a timeout. The
// app's answer decides the outcome, as in daprd:
//   SUCCESS                      ack
//   UNIMPLEMENTED                ack (logged once per subscription)
//   DROP                         to the dead-letter topic if there is one, then ack
//   RETRY, any error             retried under the delivery policy, if any; when it gives up
//                                (or with no policy, at once): to the dead-letter topic then
//                                ack, or, without one, reject (the component redelivers)
// An event that cannot be decoded, or has expired, goes to the dead-letter topic, else is
// acked (and logged): it would never decode later either. A bulkSubscribe subscription gets
// batches through OnBulkTopicEvent (OnBulkTopicEventAlpha1 when that is UNIMPLEMENTED), each
// entry settled on its own. docs/pubsub-delivery.md has the details.
//
// Shutdown pauses before it closes: no new message goes to the app, events already there get
// their answers acked on the still-open streams, and only then do the streams close. Messages
// that arrived meanwhile are never acked, so the component keeps them for the next subscriber.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <map>
#include <optional>
#include <vector>

#include "dapr/proto/runtime/v1/appcallback.pb.h"
#include "host/app_callback/delivery_context.h"
#include "host/components/kind.h"
#include "host/config/host_config.h"

namespace plughost {

class SubscriptionLag;

struct TopicDeliveryOptions {
  // Bound on each OnTopicEvent call when the delivery policy sets none; none by default, as
  // daprd (a slow handler is never cancelled and then sent the event again).
  std::optional<std::chrono::milliseconds> callback_timeout;
  // Declarative subscriptions (HostConfig.subscriptions, as DeclaredSubscription gives them);
  // one the app also lists for the same pubsub and topic is replaced by the app's, as in daprd.
  std::vector<dapr::proto::runtime::v1::TopicSubscription> declarative;
  // Delivery policies by pubsub name; "" applies to pubsubs without their own.
  std::map<std::string, DeliveryPolicySpec> inbound_policies;
  // Bound on each ListTopicSubscriptions attempt.
  std::chrono::milliseconds list_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds first_retry{100};
  std::chrono::milliseconds max_retry{5000};
  // Where pending messages are reported (/metrics); none when null. Must outlive deliveries.
  SubscriptionLag* lag = nullptr;
};

// A declarative subscription in the form the app's own listing takes.
dapr::proto::runtime::v1::TopicSubscription DeclaredSubscription(const SubscriptionSpec& spec);

class TopicDelivery {
 public:
  // `context` (and what it points to) must outlive this object.
  explicit TopicDelivery(const DeliveryContext* context, TopicDeliveryOptions options = {});
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
