// dapr.proto.components.v1 state services (StateStore, TransactionalStateStore,
// TransactionalStoreMultiMaxSize) over per-instance MemoryState backends, on gRPC's callback API.
#pragma once

#include <memory>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "examples/components/cpp/instance_map.h"
#include "examples/components/cpp/memory_state.h"

namespace plughost::sample {

using StateInstances = InstanceMap<MemoryState>;

class StateStoreService final : public statepb::StateStore::CallbackService {
 public:
  explicit StateStoreService(std::shared_ptr<StateInstances> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const statepb::InitRequest* request,
                                 statepb::InitResponse* response) override;
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const statepb::FeaturesRequest* request,
                                     statepb::FeaturesResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const statepb::PingRequest* request,
                                 statepb::PingResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const statepb::GetRequest* request,
                                statepb::GetResponse* response) override;
  grpc::ServerUnaryReactor* Set(grpc::CallbackServerContext* context,
                                const statepb::SetRequest* request,
                                statepb::SetResponse* response) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                   const statepb::DeleteRequest* request,
                                   statepb::DeleteResponse* response) override;
  grpc::ServerUnaryReactor* BulkGet(grpc::CallbackServerContext* context,
                                    const statepb::BulkGetRequest* request,
                                    statepb::BulkGetResponse* response) override;
  grpc::ServerUnaryReactor* BulkSet(grpc::CallbackServerContext* context,
                                    const statepb::BulkSetRequest* request,
                                    statepb::BulkSetResponse* response) override;
  grpc::ServerUnaryReactor* BulkDelete(grpc::CallbackServerContext* context,
                                       const statepb::BulkDeleteRequest* request,
                                       statepb::BulkDeleteResponse* response) override;

 private:
  std::shared_ptr<StateInstances> instances_;
};

class TransactionalStateService final : public statepb::TransactionalStateStore::CallbackService {
 public:
  explicit TransactionalStateService(std::shared_ptr<StateInstances> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* Transact(grpc::CallbackServerContext* context,
                                     const statepb::TransactionalStateRequest* request,
                                     statepb::TransactionalStateResponse* response) override;

 private:
  std::shared_ptr<StateInstances> instances_;
};

class MultiMaxSizeService final : public statepb::TransactionalStoreMultiMaxSize::CallbackService {
 public:
  explicit MultiMaxSizeService(std::shared_ptr<StateInstances> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* MultiMaxSize(grpc::CallbackServerContext* context,
                                         const statepb::MultiMaxSizeRequest* request,
                                         statepb::MultiMaxSizeResponse* response) override;

 private:
  std::shared_ptr<StateInstances> instances_;
};

}  // namespace plughost::sample
