// pubsub.in-memory: a process-local broker. Every subscription of a topic receives every message
// published after it subscribed, at least once: a message rejected by its receiver (nack) is
// delivered to that subscription again after a backoff (100 ms, doubling, capped at 2 s) until
// it is acked. Nothing survives the process, and a closed subscription's unacked messages go
// with it.
//
// Deliveries run on one worker thread per instance, which also times redeliveries; handlers are
// called with no lock held.
//
// Bounded per subscription: at most `max_in_flight` messages handed over and not yet answered
// (the rest wait, in order), and at most `max_unacked` messages / `max_unacked_bytes` accepted
// and not yet acked. A publish that would pass the second bound for any subscriber of its topic
// is refused with RESOURCE_EXHAUSTED (and counted in /metrics), so a subscriber that never
// answers holds the publisher back instead of growing the host; nothing accepted is dropped.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "host/components/pubsub.h"

namespace plughost {

class InMemoryPubSub : public PubSub {
 public:
  struct Options {
    std::chrono::milliseconds first_retry{100};
    std::chrono::milliseconds max_retry{2000};
    size_t max_in_flight = 64;
    size_t max_unacked = 10'000;
    size_t max_unacked_bytes = 64 << 20;
  };

  InMemoryPubSub();
  explicit InMemoryPubSub(Options options);
  ~InMemoryPubSub() override;

  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }

  void Publish(pubsubpb::PublishRequest request, const CallOptions& options,
               StatusCallback done) override;
  // Not advertised (no BULK_PUBSUB), so the API fans out to Publish; works all the same.
  void BulkPublish(pubsubpb::BulkPublishRequest request, const CallOptions& options,
                   Callback<pubsubpb::BulkPublishResponse> done) override;
  std::unique_ptr<Subscription> Subscribe(pubsubpb::Topic topic, MessageHandler handler) override;

 private:
  class Broker;
  std::shared_ptr<Broker> broker_;
};

}  // namespace plughost
