#include "components/redis/client.h"

#include <utility>

namespace plughost::redis {

RedisClient::RedisClient(RedisSettings settings)
    : settings_(std::move(settings)),
      backoff_(Backoff::Options{std::chrono::milliseconds(100), 1.6, 0.2,
                                std::chrono::milliseconds(2000)}) {}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisClient::Connect(
    std::chrono::milliseconds read_timeout) {
  {
    absl::MutexLock lock(&mutex_);
    if (down_ && std::chrono::steady_clock::now() < next_attempt_) {
      return absl::UnavailableError("redis unreachable (retrying): " + last_error_);
    }
    // Others fail fast while this attempt dials.
    if (down_) next_attempt_ = std::chrono::steady_clock::now() + settings_.dial_timeout;
  }
  auto connection = RedisConnection::Open(settings_, read_timeout);
  absl::MutexLock lock(&mutex_);
  if (connection.ok()) {
    down_ = false;
    backoff_.Reset();
  } else {
    down_ = true;
    last_error_ = std::string(connection.status().message());
    next_attempt_ = std::chrono::steady_clock::now() + backoff_.NextDelay();
  }
  return connection;
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisClient::Acquire() {
  {
    absl::MutexLock lock(&mutex_);
    auto usable = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return !idle_.empty() || open_ < settings_.pool_size;
    };
    mutex_.Await(absl::Condition(&usable));
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    ++open_;  // a slot for the connection dialled below
  }
  auto connection = Connect(settings_.read_timeout);
  if (!connection.ok()) {
    absl::MutexLock lock(&mutex_);
    --open_;
  }
  return connection;
}

void RedisClient::Release(std::unique_ptr<RedisConnection> connection) {
  absl::MutexLock lock(&mutex_);
  if (connection->broken()) {
    --open_;
    // Let the next call try at once; repeated failures back off from there.
    if (!down_) {
      down_ = true;
      last_error_ = "connection lost";
      next_attempt_ = std::chrono::steady_clock::now();
    }
    return;
  }
  idle_.push_back(std::move(connection));
}

template <typename Result, typename Call>
Result RedisClient::WithConnection(Call call) {
  // A link failure on a pooled connection most often means Redis went away since it was last
  // used (a restart): the other idle connections are as stale. Drop them all and try once more
  // on a fresh one, as Dapr's client retries on network errors.
  for (int attempt = 0;; ++attempt) {
    auto connection = Acquire();
    if (!connection.ok()) return connection.status();
    Result result = call(**connection);
    const bool link_failed = (*connection)->broken();
    Release(std::move(*connection));
    if (!link_failed || attempt > 0) return result;
    absl::MutexLock lock(&mutex_);
    open_ -= static_cast<int>(idle_.size());
    idle_.clear();
    next_attempt_ = std::chrono::steady_clock::now();
  }
}

absl::StatusOr<Reply> RedisClient::Run(const std::vector<std::string>& argv) {
  return WithConnection<absl::StatusOr<Reply>>(
      [&](RedisConnection& connection) { return connection.Run(argv); });
}

absl::StatusOr<std::vector<Reply>> RedisClient::RunPipeline(
    const std::vector<std::vector<std::string>>& commands) {
  return WithConnection<absl::StatusOr<std::vector<Reply>>>(
      [&](RedisConnection& connection) { return connection.RunPipeline(commands); });
}

absl::Status RedisClient::Ping() {
  auto reply = Run({"PING"});
  if (!reply.ok()) return reply.status();
  if (StringOf(reply->get()) != "PONG") {
    return absl::UnavailableError("redis PING answered " + StringOf(reply->get()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisClient::OpenDedicated(
    std::chrono::milliseconds read_timeout) {
  return Connect(read_timeout);
}

}  // namespace plughost::redis
