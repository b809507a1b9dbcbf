// Counters and latency histograms of the app-facing API, per method and component, rendered
// in Prometheus' text format together with component health and lifecycle counters.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>

#include <grpcpp/support/status_code_enum.h>

namespace plughost {

class InstanceTable;
struct SupervisorCounters;

struct DiscoveryStats {
  uint64_t registered = 0;
  uint64_t skipped = 0;
  double seconds = 0;
};

// Subscription lag as the host sees it, per pubsub and topic: messages taken from the component
// and not yet settled (acked, or rejected so the component delivers them again), and how long
// the oldest has waited. A backlog still inside the component is not visible to the host.
// Thread safe; the delivery code reports, /metrics reads.
class SubscriptionLag {
 public:
  using Clock = std::chrono::steady_clock;
  using Token = uint64_t;

  // A message arrived; pass the token to Settled exactly once.
  Token Received(std::string_view pubsub, std::string_view topic);
  void Settled(std::string_view pubsub, std::string_view topic, Token token, bool acked);

  // Prometheus text: pending gauge, oldest-pending age gauge, settled counters.
  void Render(std::string& out, Clock::time_point now = Clock::now()) const;

  // Series kept per (pubsub, topic); topics seen after that are counted as kOtherTopics.
  static constexpr size_t kMaxTopicSeries = 1000;
  static constexpr char kOtherTopics[] = "(other)";

 private:
  struct Topic {
    std::map<Token, Clock::time_point> pending;  // tokens grow, so the first is the oldest
    uint64_t acked = 0;
    uint64_t rejected = 0;
  };
  mutable std::mutex mutex_;
  Token next_token_ = 0;
  std::map<std::pair<std::string, std::string>, Topic, std::less<>> topics_;
};

// Names no instance has are recorded under kUnknownComponent, so an app sending arbitrary names
// cannot make the host keep a series per name.
inline constexpr char kUnknownComponent[] = "(unknown)";
// Likewise, methods the host knows no protocol for share one method label.
inline constexpr char kUnknownMethod[] = "unknown";

class Metrics {
 public:
  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10};

  void RecordCall(std::string_view method, std::string_view component, grpc::StatusCode code,
                  std::chrono::nanoseconds latency);
  void SetDiscovery(DiscoveryStats stats) { discovery_ = stats; }
  SubscriptionLag& subscription_lag() { return subscription_lag_; }

  // Everything, in Prometheus text exposition format (version 0.0.4).
  std::string Render(const InstanceTable& instances, const SupervisorCounters* supervisor) const;

 private:
  struct Series {
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last = +Inf
    std::atomic<uint64_t> sum_nanos{0};
    std::array<std::atomic<uint64_t>, 17> by_code{};  // gRPC status codes 0..16
  };
  Series& SeriesFor(std::string_view method, std::string_view component);

  mutable std::shared_mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Series>, std::less<>> series_;
  DiscoveryStats discovery_;
  SubscriptionLag subscription_lag_;
};

}  // namespace plughost
