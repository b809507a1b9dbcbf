// pubsub.redis-pubsub: Redis Streams as Dapr's pubsub.redis uses them. A topic is a stream of
// that name; Publish is XADD (MAXLEN ~ maxLenApprox) with fields `data` and `metadata` (JSON);
// each subscription reads with XREADGROUP in consumer group `consumerID` (consumer name
// `consumerID` too, as Dapr's, so replicas of one app compete for messages). A success ack is
// XACK; a rejection or a lost stream leaves the entry pending, and every `redeliverInterval`
// the entries pending longer than `processingTimeout` (of any replica, dead ones included) are
// claimed with XPENDING/XCLAIM and delivered again.
#pragma once

#include <chrono>

#include "components/redis/backend.h"
#include "sdk/cpp/pubsub.h"

namespace plughost::redis {

struct PubSubSettings {
  std::string consumer_id;
  std::chrono::milliseconds processing_timeout{60000};  // 0: never reclaim
  std::chrono::milliseconds redeliver_interval{15000};  // 0: never reclaim
  int64_t queue_depth = 100;                            // deliveries in flight per stream
  int64_t max_len_approx = 0;                           // 0: streams are not trimmed
};

class RedisPubSub final : public sdk::PubSub {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override;
  grpc::Status Ping() override { return backend_.Ping(); }
  sdk::WorkerPool* workers() override { return backend_.workers(); }

  grpc::Status Publish(const sdk::pubsubpb::PublishRequest& request) override;
  absl::StatusOr<std::shared_ptr<sdk::TopicSubscription>> Subscribe(
      const sdk::pubsubpb::Topic& topic, std::shared_ptr<sdk::MessageStream> stream) override;

 private:
  PubSubSettings settings();

  Backend backend_{8};
  absl::Mutex mutex_;
  PubSubSettings settings_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::redis
