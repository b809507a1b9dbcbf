// state.redis-state: Dapr's Redis state store layout and semantics (a hash per key with `data`,
// `version` and, after a first-write Set, `first-write`; ETag = version; Dapr's Lua for Set and
// Delete), so that daprd's state.redis and this store read each other's keys. Transactions are
// one Lua script: every ETag is checked before anything is written (Dapr's MULTI is not atomic).
#pragma once

#include <optional>

#include "components/redis/backend.h"
#include "sdk/cpp/state_store.h"

namespace plughost::redis {

namespace statepb = ::dapr::proto::components::v1;

class RedisStateStore final : public sdk::TransactionalStateStore {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override;
  std::vector<std::string> Features() override { return {"ETAG", "TRANSACTIONAL", "TTL"}; }
  grpc::Status Ping() override { return backend_.Ping(); }
  sdk::WorkerPool* workers() override { return backend_.workers(); }

  grpc::Status Get(const statepb::GetRequest& request, statepb::GetResponse* response) override;
  grpc::Status Set(const statepb::SetRequest& request) override;
  grpc::Status Delete(const statepb::DeleteRequest& request) override;
  grpc::Status Transact(const statepb::TransactionalStateRequest& request) override;

 private:
  // The request's ttlInSeconds, else the component's; nullopt when neither is set.
  absl::StatusOr<std::optional<int64_t>> TtlOf(
      const google::protobuf::Map<std::string, std::string>& metadata);

  Backend backend_;
  absl::Mutex mutex_;
  std::optional<int64_t> default_ttl_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::redis
