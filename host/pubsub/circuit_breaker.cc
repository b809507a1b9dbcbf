#include "host/pubsub/circuit_breaker.h"

#include <memory>
#include <regex>
#include <utility>

namespace plughost {
namespace {

// The counts `trip` may name; the expression engine binds only `event`, so each name is read
// as a field of it.
constexpr const char* kCountNames =
    R"((^|[^.\w])(requests|totalSuccesses|totalFailures|consecutiveSuccesses|consecutiveFailures)\b)";

}  // namespace

absl::StatusOr<std::unique_ptr<CircuitBreaker>> CircuitBreaker::Make(Options options) {
  if (options.max_requests < 1) options.max_requests = 1;
  if (options.timeout.count() <= 0) options.timeout = std::chrono::seconds(60);
  std::string rewritten = std::regex_replace(options.trip, std::regex(kCountNames), "$1event.$2");
  auto trip = RoutingExpression::Compile(rewritten);
  if (!trip.ok()) {
    return absl::InvalidArgumentError(
        "circuit breaker '" + options.name + "': trip '" + options.trip +
        "' is not supported: " + std::string(trip.status().message()));
  }
  return std::unique_ptr<CircuitBreaker>(new CircuitBreaker(std::move(options), std::move(*trip)));
}

CircuitBreaker::CircuitBreaker(Options options, RoutingExpression trip)
    : options_(std::move(options)), trip_(std::move(trip)) {
  absl::MutexLock lock(&mutex_);
  Enter(State::kClosed, Clock::now());
}

std::optional<uint64_t> CircuitBreaker::Allow(Clock::time_point now) {
  absl::MutexLock lock(&mutex_);
  Refresh(now);
  if (state_ == State::kOpen) return std::nullopt;
  if (state_ == State::kHalfOpen && counts_.requests >= options_.max_requests) return std::nullopt;
  ++counts_.requests;
  return generation_;
}

std::optional<CircuitBreaker::State> CircuitBreaker::Record(uint64_t token, bool success,
                                                            Clock::time_point now) {
  absl::MutexLock lock(&mutex_);
  Refresh(now);
  if (token != generation_) return std::nullopt;  // made before the state changed
  State before = state_;
  if (success) {
    ++counts_.total_successes;
    ++counts_.consecutive_successes;
    counts_.consecutive_failures = 0;
    if (state_ == State::kHalfOpen && counts_.consecutive_successes >= options_.max_requests) {
      Enter(State::kClosed, now);
    }
  } else {
    ++counts_.total_failures;
    ++counts_.consecutive_failures;
    counts_.consecutive_successes = 0;
    if (state_ == State::kHalfOpen || (state_ == State::kClosed && Trips(counts_))) {
      Enter(State::kOpen, now);
    }
  }
  if (state_ == before) return std::nullopt;
  return state_;
}

void CircuitBreaker::Abandon(uint64_t token) {
  absl::MutexLock lock(&mutex_);
  if (token == generation_ && counts_.requests > 0) --counts_.requests;
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) {
  absl::MutexLock lock(&mutex_);
  Refresh(now);
  return state_;
}

void CircuitBreaker::Refresh(Clock::time_point now) {
  if (!expiry_ || now < *expiry_) return;
  if (state_ == State::kClosed) {
    Enter(State::kClosed, now);  // the interval is over: fresh counts
  } else if (state_ == State::kOpen) {
    Enter(State::kHalfOpen, now);
  }
}

void CircuitBreaker::Enter(State state, Clock::time_point now) {
  state_ = state;
  ++generation_;
  counts_ = Counts{};
  expiry_.reset();
  if (state == State::kClosed && options_.interval.count() > 0) {
    expiry_ = now + options_.interval;
  } else if (state == State::kOpen) {
    expiry_ = now + options_.timeout;
  }
}

bool CircuitBreaker::Trips(const Counts& counts) const {
  nlohmann::json values = {{"requests", counts.requests},
                           {"totalSuccesses", counts.total_successes},
                           {"totalFailures", counts.total_failures},
                           {"consecutiveSuccesses", counts.consecutive_successes},
                           {"consecutiveFailures", counts.consecutive_failures}};
  auto result = trip_.Evaluate(values);
  return result.ok() && *result;  // an error does not trip, as in daprd
}

std::string_view StateName(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half-open";
  }
  return "unknown";
}

}  // namespace plughost
