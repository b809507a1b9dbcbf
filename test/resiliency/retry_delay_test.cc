// The waits of a Resiliency retry policy (host/resiliency/retry_delay.h): maxRetries,
// and daprd's 15-minute budget of exponential retries.
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "host/resiliency/retry_delay.h"

namespace plughost {
namespace {

using namespace std::chrono_literals;

DeliveryPolicySpec PolicyOf(RetryPolicySpec::Policy kind, int max_retries) {
  DeliveryPolicySpec policy;
  policy.retry.emplace();
  policy.retry->policy = kind;
  policy.retry->duration = 200ms;
  policy.retry->max_interval = 10s;
  policy.retry->max_retries = max_retries;
  return policy;
}

TEST_CASE("retry policy: no policy, no retry; maxRetries counts retries") {
  std::optional<Backoff> backoff;
  CHECK_FALSE(NextRetryDelay(DeliveryPolicySpec{}, 0, 0s, &backoff));
  auto constant = PolicyOf(RetryPolicySpec::Policy::kConstant, 2);
  CHECK(NextRetryDelay(constant, 0, 0s, &backoff) == 200ms);
  CHECK(NextRetryDelay(constant, 1, 0s, &backoff) == 200ms);
  CHECK_FALSE(NextRetryDelay(constant, 2, 0s, &backoff));
}

TEST_CASE("retry policy: exponential retries end after 15 minutes, constant ones do not") {
  auto exponential = PolicyOf(RetryPolicySpec::Policy::kExponential, -1);
  std::optional<Backoff> backoff;
  auto first = NextRetryDelay(exponential, 0, 0s, &backoff);
  REQUIRE(first.has_value());
  CHECK(*first >= 250ms);  // 500 ms +/- 50 %
  CHECK(*first <= 750ms);
  // A wait that would end past the budget is not taken, even with unlimited retries.
  std::optional<Backoff> late;
  CHECK_FALSE(NextRetryDelay(exponential, 40, 15min - 1ms, &late));
  std::optional<Backoff> early;
  CHECK(NextRetryDelay(exponential, 40, 14min, &early).has_value());
  auto constant = PolicyOf(RetryPolicySpec::Policy::kConstant, -1);
  std::optional<Backoff> steady;
  CHECK(NextRetryDelay(constant, 1000, 2h, &steady) == 200ms);
}

TEST_CASE("retry policy: a RetryState counts the retries it grants") {
  auto constant = PolicyOf(RetryPolicySpec::Policy::kConstant, 2);
  RetryState retries;
  CHECK(retries.Next(constant) == 200ms);
  CHECK(retries.Next(constant) == 200ms);
  CHECK(retries.retries_done() == 2);
  CHECK_FALSE(retries.Next(constant));
  CHECK(retries.retries_done() == 2);
  RetryState none;
  CHECK_FALSE(none.Next(DeliveryPolicySpec{}));
  CHECK(none.retries_done() == 0);
}

}  // namespace
}  // namespace plughost
