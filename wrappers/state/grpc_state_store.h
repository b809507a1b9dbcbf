// StateStore over a component socket: dapr.proto.components.v1.StateStore and its companions
// (TransactionalStateStore, QueriableStateStore, TransactionalStoreMultiMaxSize).
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "host/components/state_store.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

class GrpcStateStore : public GrpcFeaturedComponentBase<StateStore, statepb::StateStore> {
 public:
  using GrpcFeaturedComponentBase::GrpcFeaturedComponentBase;  // (socket_path, instance_name)

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
  // The companion services, on the same channel.
  std::unique_ptr<statepb::TransactionalStateStore::Stub> transactional_ =
      statepb::TransactionalStateStore::NewStub(channel_.channel());
  std::unique_ptr<statepb::QueriableStateStore::Stub> queriable_ =
      statepb::QueriableStateStore::NewStub(channel_.channel());
  std::unique_ptr<statepb::TransactionalStoreMultiMaxSize::Stub> multi_max_size_ =
      statepb::TransactionalStoreMultiMaxSize::NewStub(channel_.channel());

  mutable std::mutex mutex_;
  std::optional<int64_t> max_size_;  // asked once, then cached
};

}  // namespace plughost
