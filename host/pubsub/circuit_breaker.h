// A circuit breaker as Dapr's Resiliency defines one (daprd runs sony/gobreaker): closed, it
// lets every call through and counts outcomes; when a failure makes `trip` true it opens and
// refuses calls for `timeout`; then, half-open, it lets `max_requests` calls try: that many
// successes in a row close it, one failure opens it again. Each state change starts the counts
// afresh, and an outcome reported for a call made before the change is ignored.
//
// `trip` is a CEL expression over the counts (`consecutiveFailures > 5`, `requests >= 10 &&
// totalFailures > 5`), in the subset routing rules use (docs/pubsub-routing.md); an expression
// that fails to evaluate does not trip, as in daprd. Thread-safe; nothing here blocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "host/pubsub/routing_expression.h"

namespace plughost {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed, kOpen, kHalfOpen };

  struct Options {
    std::string name;
    int max_requests = 1;                      // half-open: calls let through (0 means 1)
    std::chrono::milliseconds interval{0};     // closed: counts cleared this often; 0 never
    std::chrono::milliseconds timeout{60000};  // open: how long (0 means 60 s)
    std::string trip = "consecutiveFailures > 5";
  };

  // An error names the expression when `trip` is outside the supported subset.
  static absl::StatusOr<std::unique_ptr<CircuitBreaker>> Make(Options options);

  // A call may go now: the token to report its outcome with; nullopt when the breaker refuses
  // it (open, or half-open with max_requests calls already let through).
  std::optional<uint64_t> Allow(Clock::time_point now = Clock::now());
  // The outcome of a call Allow let through. A state change it causes is returned (to log).
  std::optional<State> Record(uint64_t token, bool success, Clock::time_point now = Clock::now());
  // A call Allow let through that ends without an outcome (cancelled at shutdown, its stream
  // gone): its slot is given back, so a half-open breaker does not wait for it forever.
  void Abandon(uint64_t token);

  State state(Clock::time_point now = Clock::now());
  const std::string& name() const { return options_.name; }

 private:
  struct Counts {
    int64_t requests = 0;
    int64_t total_successes = 0;
    int64_t total_failures = 0;
    int64_t consecutive_successes = 0;
    int64_t consecutive_failures = 0;
  };

  CircuitBreaker(Options options, RoutingExpression trip);
  void Refresh(Clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Enter(State state, Clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool Trips(const Counts& counts) const;

  const Options options_;
  const RoutingExpression trip_;
  absl::Mutex mutex_;
  State state_ ABSL_GUARDED_BY(mutex_) = State::kClosed;
  uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;
  Counts counts_ ABSL_GUARDED_BY(mutex_);
  // When the state moves on by itself: closed, the counts clear; open, it becomes half-open.
  std::optional<Clock::time_point> expiry_ ABSL_GUARDED_BY(mutex_);
};

std::string_view StateName(CircuitBreaker::State state);

}  // namespace plughost
