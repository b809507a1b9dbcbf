// What every pub/sub delivery path shares (the app callback's OnTopicEvent, bulk delivery and
// streaming subscriptions): the gRPC metadata daprd sends with an event, the dead-letter
// publish, the per-subscription concurrency setting and the retry waits of a delivery policy.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/map.h>
#include <grpcpp/client_context.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "host/components/pubsub.h"
#include "host/config/host_config.h"
#include "host/pubsub/circuit_breaker.h"
#include "host/registry/instance_table.h"

namespace plughost::delivery {

using Metadata = google::protobuf::Map<std::string, std::string>;

// Subscription metadata raising how many of the subscription's messages may be at the app at
// once (default 1: one at a time, in order, as daprd delivers a pluggable pubsub's messages).
inline constexpr char kMaxConcurrencyKey[] = "plughost.io/maxConcurrency";

// Adds what daprd sends as gRPC metadata with an event: every message metadata entry (keys
// lowercased) except content-type and content-length, and "pubsubname". Entries gRPC cannot
// carry (invalid keys, "-bin" keys, reserved "grpc-" keys, non-printable values) are skipped.
void AddEventMetadata(grpc::ClientContext* context, const Metadata& message_metadata,
                      std::string_view pubsub_name);

// The subscription's concurrency: kMaxConcurrencyKey when it is a positive integer, else 1
// (with `*warning` saying why, when the value was there but unusable).
int MaxConcurrencyOf(const Metadata& subscription_metadata, std::string* warning);

// Publishes the message as received (its bytes, content type and metadata) to
// `dead_letter_topic` of `pubsub`, as daprd does, bounded by 30 s. `done` gets the outcome.
void PublishDeadLetter(const InstancePtr& pubsub, const std::string& dead_letter_topic,
                       const pubsubpb::PullMessagesResponse& message, StatusCallback done);

// The inbound delivery policy of `pubsub_name` in `policies` (by pubsub name, "" for every
// other pubsub), or nullptr when none applies.
const DeliveryPolicySpec* InboundPolicyOf(const std::map<std::string, DeliveryPolicySpec>& policies,
                                          const std::string& pubsub_name);

// The inbound circuit breakers, one per pubsub, made on first use from its policy and shared by
// every delivery path (app callback and streaming subscriptions), as daprd keeps one per
// component. Thread-safe.
class InboundBreakers {
 public:
  // Null when the policy has none, or when its trip is not supported (logged once).
  std::shared_ptr<CircuitBreaker> Of(const std::string& pubsub_name,
                                     const DeliveryPolicySpec& policy);

 private:
  absl::Mutex mutex_;
  std::map<std::string, std::shared_ptr<CircuitBreaker>> breakers_ ABSL_GUARDED_BY(mutex_);
};

// One attempt's permission from a pubsub's circuit breaker (none: always allowed). Record
// reports the outcome; one dropped unreported gives its slot back (CircuitBreaker::Abandon).
// Move-only.
class BreakerCall {
 public:
  BreakerCall() = default;
  BreakerCall(BreakerCall&& other) noexcept { *this = std::move(other); }
  BreakerCall& operator=(BreakerCall&& other) noexcept;
  ~BreakerCall() { Release(); }

  // Asks `breaker` for one call; refused() when it is open.
  static BreakerCall Ask(std::shared_ptr<CircuitBreaker> breaker);
  bool refused() const { return refused_; }
  bool active() const { return token_.has_value(); }
  // The attempt's outcome; a state change it causes is logged, naming `pubsub_name`.
  void Record(bool success, std::string_view pubsub_name);
  // Why a refused attempt failed.
  grpc::Status RefusedStatus() const;

 private:
  void Release();
  std::shared_ptr<CircuitBreaker> breaker_;
  std::optional<uint64_t> token_;
  bool refused_ = false;
};

}  // namespace plughost::delivery
