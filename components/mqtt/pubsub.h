// pubsub.mqtt-pubsub: Dapr's pubsub.mqtt3 on libmosquitto. Topics are MQTT topics as given
// (`+` and `#` wildcards in subscriptions); Publish sends at `qos` (default 1) with `retain`
// (component metadata, overridden by the request's `retain`) and waits for the broker's
// acknowledgement. One client per instance, with client id `consumerID` (daprd's default: the
// app id) and a persistent session unless `cleanSession` is true. Deliveries are at least once
// while this process lives (inbox.h): a rejection is delivered again after a backoff, and what a
// closed stream had not acked goes to the next stream on that topic.
#pragma once

#include "components/mqtt/session.h"
#include "components/mqtt/settings.h"
#include "sdk/cpp/pubsub.h"

namespace plughost::mqtt {

class MqttPubSub final : public sdk::PubSub {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override;
  std::vector<std::string> Features() override { return {"SUBSCRIBE_WILDCARDS"}; }
  grpc::Status Ping() override { return session_.Health(); }
  sdk::WorkerPool* workers() override { return &workers_; }

  grpc::Status Publish(const sdk::pubsubpb::PublishRequest& request) override;
  absl::StatusOr<std::shared_ptr<sdk::TopicSubscription>> Subscribe(
      const sdk::pubsubpb::Topic& topic, std::shared_ptr<sdk::MessageStream> stream) override;

 private:
  MqttSettings settings();

  sdk::WorkerPool workers_{4};
  Session session_;
  absl::Mutex mutex_;
  MqttSettings settings_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::mqtt
