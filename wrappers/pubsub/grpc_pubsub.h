// PubSub over a component socket: dapr.proto.components.v1.PubSub.
//
// Subscribe opens one PullMessages stream per topic: its first message names the topic, every
// later one acks (or, with ack_error, rejects) a message the component sent. A stream that ends
// while the subscription is open is re-opened with backoff (wrappers/common/ack_stream.h; one
// log line per failure), so a component that restarts keeps delivering. Acks of messages from a
// stream that has ended are dropped: the component redelivers what was never acked.
#pragma once

#include <memory>

#include "dapr/proto/components/v1/pubsub.grpc.pb.h"
#include "host/components/pubsub.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

class GrpcPubSub : public GrpcFeaturedComponentBase<PubSub, pubsubpb::PubSub> {
 public:
  using GrpcFeaturedComponentBase::GrpcFeaturedComponentBase;  // (socket_path, instance_name)

  // PubSub
  void Publish(pubsubpb::PublishRequest request, const CallOptions& options,
               StatusCallback done) override;
  void BulkPublish(pubsubpb::BulkPublishRequest request, const CallOptions& options,
                   Callback<pubsubpb::BulkPublishResponse> done) override;
  std::unique_ptr<Subscription> Subscribe(pubsubpb::Topic topic, MessageHandler handler) override;
};

}  // namespace plughost
