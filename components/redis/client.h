// A small pool of Redis connections shared by one component instance's workers. While Redis is
// unreachable, calls fail fast with UNAVAILABLE instead of each waiting out a dial timeout: one
// reconnect is attempted when the backoff (common/backoff.h) allows, the others answer at once.
// Thread-safe; calls block (workers only).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "components/redis/connection.h"

namespace plughost::redis {

class RedisClient {
 public:
  explicit RedisClient(RedisSettings settings);

  // One command on a pooled connection. UNAVAILABLE while Redis is unreachable.
  absl::StatusOr<Reply> Run(const std::vector<std::string>& argv);
  absl::StatusOr<std::vector<Reply>> RunPipeline(
      const std::vector<std::vector<std::string>>& commands);
  // PING; OK only on PONG.
  absl::Status Ping();

  // A connection of its own (subscriptions, blocking reads), outside the pool, obeying the same
  // backoff. `read_timeout` as in RedisConnection::Open.
  absl::StatusOr<std::unique_ptr<RedisConnection>> OpenDedicated(
      std::chrono::milliseconds read_timeout);

  const RedisSettings& settings() const { return settings_; }

 private:
  template <typename Result, typename Call>
  Result WithConnection(Call call);
  absl::StatusOr<std::unique_ptr<RedisConnection>> Acquire();
  void Release(std::unique_ptr<RedisConnection> connection);
  // Connects unless the backoff says to wait; records the outcome.
  absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(std::chrono::milliseconds read_timeout);

  const RedisSettings settings_;
  absl::Mutex mutex_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mutex_);
  int open_ ABSL_GUARDED_BY(mutex_) = 0;  // idle + in use
  Backoff backoff_ ABSL_GUARDED_BY(mutex_);
  bool down_ ABSL_GUARDED_BY(mutex_) = false;
  std::chrono::steady_clock::time_point next_attempt_ ABSL_GUARDED_BY(mutex_);
  std::string last_error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::redis
