#include "host/resiliency/retry_delay.h"

namespace plughost {
namespace {

Backoff RetryBackoff(const RetryPolicySpec& retry) {
  Backoff::Options options;
  if (retry.policy == RetryPolicySpec::Policy::kConstant) {
    options.initial = retry.duration;
    options.max = retry.duration;
    options.multiplier = 1.0;
    options.jitter = 0.0;
  } else {
    options.initial = std::chrono::milliseconds(500);
    options.multiplier = 1.5;
    options.jitter = 0.5;
    options.max = retry.max_interval;
  }
  return Backoff(options);
}

}  // namespace

std::optional<std::chrono::milliseconds> NextRetryDelay(const DeliveryPolicySpec& policy,
                                                        int retries_done,
                                                        std::chrono::steady_clock::duration elapsed,
                                                        std::optional<Backoff>* backoff) {
  if (!policy.retry) return std::nullopt;
  const RetryPolicySpec& retry = *policy.retry;
  if (retry.max_retries >= 0 && retries_done >= retry.max_retries) return std::nullopt;
  if (!*backoff) *backoff = RetryBackoff(retry);
  auto delay = (*backoff)->NextDelay();
  if (retry.policy == RetryPolicySpec::Policy::kExponential &&
      elapsed + delay > kExponentialRetryBudget) {
    return std::nullopt;
  }
  return delay;
}

}  // namespace plughost
