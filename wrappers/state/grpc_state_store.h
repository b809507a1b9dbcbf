// StateStore over a component socket: dapr.proto.components.v1.StateStore and its companions
// (TransactionalStateStore, QueriableStateStore, TransactionalStoreMultiMaxSize).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "host/components/state_store.h"
#include "wrappers/common/component_channel.h"
#include "wrappers/common/control_calls.h"

namespace plughost {

class GrpcStateStore : public StateStore {
 public:
  GrpcStateStore(std::string socket_path, std::string instance_name);

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override;
  void Ping(StatusCallback done) override;
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override;

  // StateStore
  void Get(statepb::GetRequest request, const CallOptions& options,
           Callback<statepb::GetResponse> done) override;
  void Set(statepb::SetRequest request, const CallOptions& options, StatusCallback done) override;
  void Delete(statepb::DeleteRequest request, const CallOptions& options,
              StatusCallback done) override;
  void BulkGet(statepb::BulkGetRequest request, const CallOptions& options,
               Callback<statepb::BulkGetResponse> done) override;
  void BulkSet(statepb::BulkSetRequest request, const CallOptions& options,
               StatusCallback done) override;
  void BulkDelete(statepb::BulkDeleteRequest request, const CallOptions& options,
                  StatusCallback done) override;
  void Transact(statepb::TransactionalStateRequest request, const CallOptions& options,
                StatusCallback done) override;
  void Query(statepb::QueryRequest request, const CallOptions& options,
             Callback<statepb::QueryResponse> done) override;
  void MultiMaxSize(Callback<int64_t> done) override;

 private:
  ComponentChannel channel_;
  std::unique_ptr<statepb::StateStore::Stub> store_;
  std::unique_ptr<statepb::TransactionalStateStore::Stub> transactional_;
  std::unique_ptr<statepb::QueriableStateStore::Stub> queriable_;
  std::unique_ptr<statepb::TransactionalStoreMultiMaxSize::Stub> multi_max_size_;

  FeatureList features_;
  mutable std::mutex mutex_;
  std::optional<int64_t> max_size_;  // asked once, then cached
};

}  // namespace plughost
