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

absl::StatusOr<Reply> RedisClient::Run(const std::vector<std::string>& argv) {
  auto connection = Acquire();
  if (!connection.ok()) return connection.status();
  auto reply = (*connection)->Run(argv);
  Release(std::move(*connection));
  return reply;
}

absl::StatusOr<std::vector<Reply>> RedisClient::RunPipeline(
    const std::vector<std::vector<std::string>>& commands) {
  auto connection = Acquire();
  if (!connection.ok()) return connection.status();
  auto replies = (*connection)->RunPipeline(commands);
  Release(std::move(*connection));
  return replies;
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
