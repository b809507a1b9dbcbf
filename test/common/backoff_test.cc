#include "common/backoff.h"

#include <set>

#include <catch2/catch.hpp>

using plughost::Backoff;
using std::chrono::milliseconds;

TEST_CASE("Backoff grows by the multiplier, stays within the jitter and stops at the cap") {
  Backoff backoff(
      {.initial = milliseconds(100), .multiplier = 2.0, .jitter = 0.2, .max = milliseconds(1000)});
  int64_t expected = 100;
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto delay = backoff.NextDelay().count();
    INFO("attempt " << attempt << " delay " << delay);
    CHECK(delay >= static_cast<int64_t>(expected * 0.8));
    CHECK(delay <= std::min<int64_t>(1000, static_cast<int64_t>(expected * 1.2)));
    expected = std::min<int64_t>(1000, expected * 2);
  }
  CHECK(backoff.current() == milliseconds(1000));
}

TEST_CASE("Backoff starts over after Reset") {
  Backoff backoff(
      {.initial = milliseconds(50), .multiplier = 3.0, .jitter = 0.0, .max = milliseconds(5000)});
  CHECK(backoff.NextDelay() == milliseconds(50));
  CHECK(backoff.NextDelay() == milliseconds(150));
  backoff.Reset();
  CHECK(backoff.NextDelay() == milliseconds(50));
}

TEST_CASE("Backoff jitter spreads retriers that start together") {
  std::set<int64_t> delays;
  for (int i = 0; i < 20; ++i) {
    Backoff backoff({.initial = milliseconds(1000),
                     .multiplier = 2.0,
                     .jitter = 0.5,
                     .max = milliseconds(60000)});
    delays.insert(backoff.NextDelay().count());
  }
  CHECK(delays.size() > 5);
}

TEST_CASE("Backoff::DelayOfAttempt takes the steps of that many retries, capped") {
  Backoff::Options options{
      .initial = milliseconds(100), .multiplier = 2.0, .jitter = 0.0, .max = milliseconds(1000)};
  CHECK(Backoff::DelayOfAttempt(options, 1) == milliseconds(100));
  CHECK(Backoff::DelayOfAttempt(options, 2) == milliseconds(200));
  CHECK(Backoff::DelayOfAttempt(options, 4) == milliseconds(800));
  CHECK(Backoff::DelayOfAttempt(options, 5) == milliseconds(1000));
  CHECK(Backoff::DelayOfAttempt(options, 1'000'000) == milliseconds(1000));  // stops at the cap
  options.jitter = 0.2;
  auto spread = Backoff::DelayOfAttempt(options, 3);
  CHECK(spread >= milliseconds(320));
  CHECK(spread <= milliseconds(480));
}
