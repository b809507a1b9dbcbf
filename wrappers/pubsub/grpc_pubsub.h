// PubSub over a component socket: dapr.proto.components.v1.PubSub.
//
// Subscribe opens one PullMessages stream per topic: its first message names the topic, every
// later one acks (or, with ack_error, rejects) a message the component sent. A stream that ends
// while the subscription is open is re-opened with backoff (wrappers/common/ack_stream.h; one
// log line per failure), so a component that restarts keeps delivering. Acks of messages from a
// stream that has ended are dropped: the component redelivers what was never acked.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/pubsub.grpc.pb.h"
#include "host/components/pubsub.h"
#include "wrappers/common/component_channel.h"
#include "wrappers/common/control_calls.h"

namespace plughost {

class GrpcPubSub : public PubSub {
 public:
  GrpcPubSub(std::string socket_path, std::string instance_name);

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override;
  void Ping(StatusCallback done) override;
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override;

  // PubSub
  void Publish(pubsubpb::PublishRequest request, const CallOptions& options,
               StatusCallback done) override;
  void BulkPublish(pubsubpb::BulkPublishRequest request, const CallOptions& options,
                   Callback<pubsubpb::BulkPublishResponse> done) override;
  std::unique_ptr<Subscription> Subscribe(pubsubpb::Topic topic, MessageHandler handler) override;

 private:
  ComponentChannel channel_;
  // Shared with open subscriptions, which may outlive this object by a few callbacks.
  std::shared_ptr<pubsubpb::PubSub::Stub> stub_;

  FeatureList features_;
};

}  // namespace plughost
