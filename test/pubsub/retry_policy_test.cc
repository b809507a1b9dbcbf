// The waits of a delivery policy's retries (host/app_callback/delivery_support.h): maxRetries,
// and daprd's 15-minute budget of exponential retries.
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "host/app_callback/delivery_support.h"

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
  CHECK_FALSE(delivery::NextRetryDelay(DeliveryPolicySpec{}, 0, 0s, &backoff));
  auto constant = PolicyOf(RetryPolicySpec::Policy::kConstant, 2);
  CHECK(delivery::NextRetryDelay(constant, 0, 0s, &backoff) == 200ms);
  CHECK(delivery::NextRetryDelay(constant, 1, 0s, &backoff) == 200ms);
  CHECK_FALSE(delivery::NextRetryDelay(constant, 2, 0s, &backoff));
}

TEST_CASE("retry policy: exponential retries end after 15 minutes, constant ones do not") {
  auto exponential = PolicyOf(RetryPolicySpec::Policy::kExponential, -1);
  std::optional<Backoff> backoff;
  auto first = delivery::NextRetryDelay(exponential, 0, 0s, &backoff);
  REQUIRE(first.has_value());
  CHECK(*first >= 250ms);  // 500 ms +/- 50 %
  CHECK(*first <= 750ms);
  // A wait that would end past the budget is not taken, even with unlimited retries.
  std::optional<Backoff> late;
  CHECK_FALSE(delivery::NextRetryDelay(exponential, 40, 15min - 1ms, &late));
  std::optional<Backoff> early;
  CHECK(delivery::NextRetryDelay(exponential, 40, 14min, &early).has_value());
  auto constant = PolicyOf(RetryPolicySpec::Policy::kConstant, -1);
  std::optional<Backoff> steady;
  CHECK(delivery::NextRetryDelay(constant, 1000, 2h, &steady) == 200ms);
}

}  // namespace
}  // namespace plughost
