// What every Redis-backed kind's instance holds: its settings and client, replaced on each Init,
// and the worker pool its calls run on (the SDK runs methods there, so they may block).
#pragma once

#include <memory>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "components/redis/client.h"
#include "sdk/cpp/worker_pool.h"

namespace plughost::redis {

inline grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

class Backend {
 public:
  explicit Backend(int workers = 4) : workers_(workers) {}

  // Parses the connection metadata and checks that Redis answers (as Dapr's Init does). With
  // no metadata at all (a host instantiating a socket nobody configured) it uses
  // localhost:6379 and does not insist that Redis answers: calls then say UNAVAILABLE.
  grpc::Status Init(const Metadata& metadata) {
    const bool unconfigured = metadata.empty();
    auto settings =
        ParseRedisSettings(unconfigured ? Metadata{{"redisHost", "localhost:6379"}} : metadata);
    if (!settings.ok()) return ToGrpc(settings.status());
    auto client = std::make_shared<RedisClient>(*settings);
    if (absl::Status ping = unconfigured ? absl::OkStatus() : client->Ping(); !ping.ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "error connecting to Redis: " + std::string(ping.message()));
    }
    absl::MutexLock lock(&mutex_);
    client_ = std::move(client);
    return grpc::Status::OK;
  }

  // The client, or FAILED_PRECONDITION before a successful Init.
  absl::StatusOr<std::shared_ptr<RedisClient>> client() {
    absl::MutexLock lock(&mutex_);
    if (!client_) return absl::FailedPreconditionError("the component is not initialised");
    return client_;
  }

  grpc::Status Ping() {
    auto client = this->client();
    if (!client.ok()) return ToGrpc(client.status());
    return ToGrpc((*client)->Ping());
  }

  sdk::WorkerPool* workers() { return &workers_; }

 private:
  absl::Mutex mutex_;
  std::shared_ptr<RedisClient> client_ ABSL_GUARDED_BY(mutex_);
  sdk::WorkerPool workers_;
};

// Runs `argv` and turns link failures and error replies into statuses.
inline absl::StatusOr<Reply> RunChecked(RedisClient& client, const std::vector<std::string>& argv) {
  auto reply = client.Run(argv);
  if (!reply.ok()) return reply.status();
  if (std::string error = ErrorText(reply->get()); !error.empty()) {
    return absl::InternalError("redis " + argv[0] + ": " + error);
  }
  return reply;
}

}  // namespace plughost::redis
