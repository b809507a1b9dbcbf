// Native interface of a pub/sub component. Messages are Dapr's component-protocol types.
#pragma once

#include <functional>
#include <memory>

#include "dapr/proto/components/v1/pubsub.pb.h"
#include "host/components/component.h"
#include "host/components/subscription.h"

namespace plughost {

namespace pubsubpb = ::dapr::proto::components::v1;

inline constexpr char kFeatureBulkPubSub[] = "BULK_PUBSUB";

// Called once per delivered message; the receiver must call `ack` exactly once, now or later,
// from any thread: OK when the message was handled, an error (its text goes back to the
// component) to have it redelivered. Delivery is at least once: a message may come again.
// Handlers may run on several threads at once, must not block and must not throw; no lock of
// the component is held while one runs, so it may publish, ack or Close.
using MessageHandler =
    std::function<void(pubsubpb::PullMessagesResponse message, StatusCallback ack)>;

class PubSub : public Component {
 public:
  virtual void Publish(pubsubpb::PublishRequest request, const CallOptions& options,
                       StatusCallback done) = 0;
  // Only called when Features() contains BULK_PUBSUB; otherwise the API fans out to Publish.
  virtual void BulkPublish(pubsubpb::BulkPublishRequest request, const CallOptions& options,
                           Callback<pubsubpb::BulkPublishResponse> done) = 0;
  // Delivers the topic's messages to `handler` until the subscription is closed (Close, or
  // destroying the handle). Never fails: a component that is down is subscribed once it is
  // back. Acks after Close are accepted and may be dropped (the message is then redelivered
  // to whoever subscribes next, if the component keeps it).
  virtual std::unique_ptr<Subscription> Subscribe(pubsubpb::Topic topic,
                                                  MessageHandler handler) = 0;
};

}  // namespace plughost
