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

// Called once per delivered message; the receiver must call `ack` exactly once: OK when the
// message was handled, an error (its text goes back to the component) to have it redelivered.
using MessageHandler =
    std::function<void(pubsubpb::PullMessagesResponse message, StatusCallback ack)>;

class PubSub : public Component {
 public:
  virtual void Publish(pubsubpb::PublishRequest request, const CallOptions& options,
                       StatusCallback done) = 0;
  // Only called when Features() contains BULK_PUBSUB; otherwise the API fans out to Publish.
  virtual void BulkPublish(pubsubpb::BulkPublishRequest request, const CallOptions& options,
                           Callback<pubsubpb::BulkPublishResponse> done) = 0;
  // Delivers the topic's messages to `handler` until the subscription is closed.
  virtual std::unique_ptr<Subscription> Subscribe(pubsubpb::Topic topic,
                                                  MessageHandler handler) = 0;
};

}  // namespace plughost
