// The waits between retries of a Resiliency retry policy, shared by inbound deliveries (app
// callbacks, bulk groups, streaming subscriptions) and outbound component calls.
#pragma once

#include <chrono>
#include <optional>

#include "common/backoff.h"
#include "host/config/host_config.h"

namespace plughost {

// The waits follow the policy: constant (`duration` each time) or exponential as daprd's
// (500 ms first, x1.5, +/-50 %, capped at `max_interval`).
// daprd's exponential retries also end once the next wait would finish more than 15 minutes
// after the first attempt (its backoff's MaxElapsedTime), even with maxRetries -1.
inline constexpr std::chrono::minutes kExponentialRetryBudget{15};

// The wait before one more attempt after `retries_done` retries, begun `elapsed` ago; nullopt
// when the policy gives up (none, maxRetries reached, or the exponential budget spent).
// `*backoff` is the caller's own, made here on the first retry.
std::optional<std::chrono::milliseconds> NextRetryDelay(const DeliveryPolicySpec& policy,
                                                        int retries_done,
                                                        std::chrono::steady_clock::duration elapsed,
                                                        std::optional<Backoff>* backoff);

// The retries of one delivery or call under a policy: how many were made, since when, and
// the backoff they follow.
class RetryState {
 public:
  // The wait before one more attempt, which counts as made; nullopt when the policy gives up.
  std::optional<std::chrono::milliseconds> Next(const DeliveryPolicySpec& policy) {
    auto delay = NextRetryDelay(policy, retries_done_,
                                std::chrono::steady_clock::now() - first_attempt_, &backoff_);
    if (delay) ++retries_done_;
    return delay;
  }
  int retries_done() const { return retries_done_; }

 private:
  int retries_done_ = 0;
  std::optional<Backoff> backoff_;
  std::chrono::steady_clock::time_point first_attempt_ = std::chrono::steady_clock::now();
};

}  // namespace plughost
