// One exponential backoff for every retry that waits: reopening component streams, asking the
// app again, re-Initialising a component, restarting a child process, reconnecting to a server.
// The shape of gRPC's own (src/core/util/backoff.h): the first wait is `initial`, each next one
// is `multiplier` times longer up to `max`, and every wait is spread by +/- `jitter` so that many
// retriers that failed together (every host of a cluster after a Redis restart) do not retry in
// lock step. Not thread-safe: one Backoff belongs to one retry loop.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace plughost {

class Backoff {
 public:
  struct Options {
    std::chrono::milliseconds initial{100};
    double multiplier = 1.6;
    double jitter = 0.2;  // each wait is drawn from [w * (1 - jitter), w * (1 + jitter)]
    std::chrono::milliseconds max{5000};
  };

  Backoff() : Backoff(Options{}) {}
  explicit Backoff(Options options) : options_(options), current_(options.initial) {}

  // The wait before the next attempt; each call moves one step towards `max`.
  std::chrono::milliseconds NextDelay() {
    double base = static_cast<double>(current_.count());
    current_ = std::min(
        options_.max, std::chrono::milliseconds(static_cast<int64_t>(base * options_.multiplier)));
    std::uniform_real_distribution<double> spread(1.0 - options_.jitter, 1.0 + options_.jitter);
    double waited = std::min(base * spread(Random()), static_cast<double>(options_.max.count()));
    return std::chrono::milliseconds(std::max<int64_t>(1, static_cast<int64_t>(waited)));
  }

  // The wait before attempt `attempt` (1: the first retry) of something that keeps only its
  // attempt count, not a Backoff (a redelivered message): the same steps as that many
  // NextDelay() calls on a fresh Backoff, without the state.
  static std::chrono::milliseconds DelayOfAttempt(const Options& options, int attempt) {
    Backoff backoff(options);
    for (int i = 1; i < attempt && backoff.current_ < options.max; ++i) backoff.NextDelay();
    return backoff.NextDelay();
  }

  // After a success (or a connection that lived long enough): the next wait is `initial` again.
  void Reset() { current_ = options_.initial; }

  // The undrawn wait the next NextDelay() starts from; for logs and tests.
  std::chrono::milliseconds current() const { return current_; }
  const Options& options() const { return options_; }

 private:
  static std::minstd_rand& Random() {
    thread_local std::minstd_rand random{std::random_device{}()};
    return random;
  }

  Options options_;
  std::chrono::milliseconds current_;
};

}  // namespace plughost
