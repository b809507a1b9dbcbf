// What a pub/sub author implements (dapr.proto.components.v1.PubSub): one object per component
// instance. Served by ComponentServer::AddPubSub<Broker>() (pubsub_service.h).
//
// A subscription is one PullMessages stream: the SDK reads its first request (the topic), calls
// Subscribe with a MessageStream to send deliveries on, passes each of the host's acks to the
// returned TopicSubscription, and calls its Close when the stream ends. With a worker pool
// (component.h) Subscribe, OnAck and Close run there; without one they run on gRPC's threads and
// must not block.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "dapr/proto/components/v1/pubsub.pb.h"
#include "sdk/cpp/component.h"

namespace plughost::sdk {

namespace pubsubpb = ::dapr::proto::components::v1;

// The deliveries of one subscription, towards the host. Thread-safe.
class MessageStream {
 public:
  virtual ~MessageStream() = default;
  // Queues a delivery; `message.id()` names it in the host's ack. False once the stream ended.
  virtual bool Send(pubsubpb::PullMessagesResponse message) = 0;
  // Ends the stream (e.g. the backend refused the subscription for good).
  virtual void End(grpc::Status status) = 0;
  virtual bool ended() = 0;
};

class TopicSubscription {
 public:
  virtual ~TopicSubscription() = default;
  // The host acknowledged delivery `id`: `error` is set when the app rejected it.
  virtual void OnAck(const std::string& id, const std::optional<std::string>& error) = 0;
  // The stream ended (the host closed it, went away, or the server stops). Called once; stop
  // sending. Deliveries not acked by now were not processed.
  virtual void Close() = 0;
};

class PubSub : public Component {
 public:
  virtual grpc::Status Publish(const pubsubpb::PublishRequest& request) = 0;
  // Default: Publish per entry; a failed entry is listed in the response, the call is OK.
  virtual grpc::Status BulkPublish(const pubsubpb::BulkPublishRequest& request,
                                   pubsubpb::BulkPublishResponse* response);
  // Starts delivering `topic` on `stream`. An error status fails the stream with it.
  virtual absl::StatusOr<std::shared_ptr<TopicSubscription>> Subscribe(
      const pubsubpb::Topic& topic, std::shared_ptr<MessageStream> stream) = 0;
};

}  // namespace plughost::sdk
