// The inbound circuit breaker, with an explicit clock: trips on its expression, refuses while
// open, lets max_requests through half-open, and ignores outcomes from an earlier state.
#include "host/pubsub/circuit_breaker.h"

#include <catch2/catch.hpp>

namespace plughost {
namespace {

using State = CircuitBreaker::State;
using namespace std::chrono_literals;

std::unique_ptr<CircuitBreaker> Make(CircuitBreaker::Options options) {
  auto breaker = CircuitBreaker::Make(std::move(options));
  REQUIRE(breaker.ok());
  return std::move(*breaker);
}

// Lets one call through and reports it.
std::optional<State> Call(CircuitBreaker& breaker, bool success,
                          CircuitBreaker::Clock::time_point at) {
  auto token = breaker.Allow(at);
  REQUIRE(token.has_value());
  return breaker.Record(*token, success, at);
}

TEST_CASE("circuit breaker: trips, stays open for its timeout, then half-open decides") {
  auto t0 = CircuitBreaker::Clock::now();
  auto breaker = Make({"cb", 2, 0ms, 5s, "consecutiveFailures >= 3"});
  CHECK(Call(*breaker, false, t0) == std::nullopt);
  CHECK(Call(*breaker, true, t0) == std::nullopt);  // a success resets the streak
  CHECK(Call(*breaker, false, t0) == std::nullopt);
  CHECK(Call(*breaker, false, t0) == std::nullopt);
  CHECK(Call(*breaker, false, t0) == State::kOpen);
  CHECK_FALSE(breaker->Allow(t0 + 4s).has_value());
  CHECK(breaker->state(t0 + 5s) == State::kHalfOpen);
  // Half-open: two calls may go, a third waits; two successes close it.
  auto first = breaker->Allow(t0 + 5s);
  auto second = breaker->Allow(t0 + 5s);
  REQUIRE(first);
  REQUIRE(second);
  CHECK_FALSE(breaker->Allow(t0 + 5s).has_value());
  CHECK(breaker->Record(*first, true, t0 + 5s) == std::nullopt);
  CHECK(breaker->Record(*second, true, t0 + 5s) == State::kClosed);
  CHECK(breaker->Allow(t0 + 5s).has_value());
}

TEST_CASE("circuit breaker: a half-open failure opens it again; stale outcomes are ignored") {
  auto t0 = CircuitBreaker::Clock::now();
  auto breaker = Make({"cb", 1, 0ms, 1s, "consecutiveFailures > 0"});
  auto stale = breaker->Allow(t0);
  REQUIRE(stale);
  CHECK(Call(*breaker, false, t0) == State::kOpen);
  CHECK(breaker->Record(*stale, true, t0) == std::nullopt);  // from the closed state
  CHECK(breaker->state(t0) == State::kOpen);
  CHECK(Call(*breaker, false, t0 + 1s) == State::kOpen);
  CHECK_FALSE(breaker->Allow(t0 + 1500ms).has_value());
  CHECK(Call(*breaker, true, t0 + 2s) == State::kClosed);
}

TEST_CASE("circuit breaker: a half-open call abandoned without an outcome frees its slot") {
  auto t0 = CircuitBreaker::Clock::now();
  auto breaker = Make({"cb", 1, 0ms, 1s, "consecutiveFailures > 0"});
  CHECK(Call(*breaker, false, t0) == State::kOpen);
  auto lost = breaker->Allow(t0 + 1s);  // half-open: the one call allowed
  REQUIRE(lost);
  CHECK_FALSE(breaker->Allow(t0 + 1s).has_value());
  breaker->Abandon(*lost);
  CHECK(Call(*breaker, true, t0 + 1s) == State::kClosed);
}

TEST_CASE("circuit breaker: the interval clears the counts while closed") {
  auto t0 = CircuitBreaker::Clock::now();
  auto breaker = Make({"cb", 1, 10s, 1s, "totalFailures >= 2 && requests >= 2"});
  CHECK(Call(*breaker, false, t0) == std::nullopt);
  CHECK(Call(*breaker, false, t0 + 11s) == std::nullopt);  // the first was cleared
  CHECK(Call(*breaker, false, t0 + 12s) == State::kOpen);
}

TEST_CASE("circuit breaker: daprd's defaults, and a trip outside the subset is refused") {
  auto t0 = CircuitBreaker::Clock::now();
  auto breaker = Make({"cb", 0, 0ms, 0ms, "consecutiveFailures > 5"});
  for (int i = 0; i < 5; ++i) CHECK(Call(*breaker, false, t0) == std::nullopt);
  CHECK(Call(*breaker, false, t0) == State::kOpen);
  CHECK_FALSE(breaker->Allow(t0 + 59s).has_value());
  CHECK(breaker->state(t0 + 60s) == State::kHalfOpen);

  auto bad = CircuitBreaker::Make({"bad", 1, 0ms, 1s, "consecutiveFailures + 1 > 5"});
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()),
             Catch::Contains("circuit breaker 'bad': trip 'consecutiveFailures + 1 > 5'"));
  CHECK_FALSE(CircuitBreaker::Make({"bad", 1, 0ms, 1s, "failures > 5"}).ok());
}

}  // namespace
}  // namespace plughost
