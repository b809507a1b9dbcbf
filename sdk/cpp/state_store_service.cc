#include "sdk/cpp/state_store_service.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "sdk/cpp/serve_unary.h"
#include "sdk/cpp/unary_reaction.h"

namespace plughost::sdk {
namespace {

constexpr char kTransactionalFeature[] = "TRANSACTIONAL";

// Finds (or creates) the instance a call names; the two instance maps look alike from here.
using StoreLookup = std::function<std::shared_ptr<StateStore>(const grpc::ServerContextBase&)>;

class StateStoreService final : public statepb::StateStore::CallbackService {
 public:
  StateStoreService(StoreLookup lookup, bool transactional)
      : lookup_(std::move(lookup)), transactional_(transactional) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const statepb::InitRequest* request,
                                 statepb::InitResponse* response) override {
    return ServeInit(context, lookup_(*context), request, response);
  }

  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const statepb::FeaturesRequest* /*request*/,
                                     statepb::FeaturesResponse* response) override {
    return ReactUnary(context, [&] {
      std::vector<std::string> features = lookup_(*context)->Features();
      // A host only sends transactions to a store that says it takes them.
      if (transactional_ &&
          std::find(features.begin(), features.end(), kTransactionalFeature) == features.end()) {
        features.push_back(kTransactionalFeature);
      }
      for (std::string& feature : features) response->add_features(std::move(feature));
      return grpc::Status::OK;
    });
  }

  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const statepb::PingRequest* request,
                                 statepb::PingResponse* response) override {
    return ServePing(context, lookup_(*context), request, response);
  }

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const statepb::GetRequest* request,
                                statepb::GetResponse* response) override {
    return ReactLater(context, response,
                      [&](auto reply) { lookup_(*context)->StartGet(*request, reply); });
  }

  grpc::ServerUnaryReactor* Set(grpc::CallbackServerContext* context,
                                const statepb::SetRequest* request,
                                statepb::SetResponse* response) override {
    return ReactLater(context, response,
                      [&](auto reply) { lookup_(*context)->StartSet(*request, reply); });
  }

  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                   const statepb::DeleteRequest* request,
                                   statepb::DeleteResponse* response) override {
    return ReactLater(context, response,
                      [&](auto reply) { lookup_(*context)->StartDelete(*request, reply); });
  }

  grpc::ServerUnaryReactor* BulkGet(grpc::CallbackServerContext* context,
                                    const statepb::BulkGetRequest* request,
                                    statepb::BulkGetResponse* response) override {
    return ReactLater(context, response,
                      [&](auto reply) { lookup_(*context)->StartBulkGet(*request, reply); });
  }

  grpc::ServerUnaryReactor* BulkSet(grpc::CallbackServerContext* context,
                                    const statepb::BulkSetRequest* request,
                                    statepb::BulkSetResponse* response) override {
    return ReactLater(context, response,
                      [&](auto reply) { lookup_(*context)->StartBulkSet(*request, reply); });
  }

  grpc::ServerUnaryReactor* BulkDelete(grpc::CallbackServerContext* context,
                                       const statepb::BulkDeleteRequest* request,
                                       statepb::BulkDeleteResponse* response) override {
    return ReactLater(context, response,
                      [&](auto reply) { lookup_(*context)->StartBulkDelete(*request, reply); });
  }

 private:
  StoreLookup lookup_;
  bool transactional_;
};

class TransactionalService final : public statepb::TransactionalStateStore::CallbackService {
 public:
  explicit TransactionalService(std::shared_ptr<InstanceMap<TransactionalStateStore>> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* Transact(grpc::CallbackServerContext* context,
                                     const statepb::TransactionalStateRequest* request,
                                     statepb::TransactionalStateResponse* response) override {
    return ReactLater(context, response, [&](auto reply) {
      instances_->For(*context)->StartTransact(*request, reply);
    });
  }

 private:
  std::shared_ptr<InstanceMap<TransactionalStateStore>> instances_;
};

class MultiMaxSizeService final : public statepb::TransactionalStoreMultiMaxSize::CallbackService {
 public:
  explicit MultiMaxSizeService(std::shared_ptr<InstanceMap<TransactionalStateStore>> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* MultiMaxSize(grpc::CallbackServerContext* context,
                                         const statepb::MultiMaxSizeRequest* /*request*/,
                                         statepb::MultiMaxSizeResponse* response) override {
    return ReactUnary(context, [&] {
      response->set_max_size(instances_->For(*context)->MultiMaxSize());
      return grpc::Status::OK;
    });
  }

 private:
  std::shared_ptr<InstanceMap<TransactionalStateStore>> instances_;
};

}  // namespace

std::vector<NamedService> StateStoreServices(
    const std::shared_ptr<InstanceMap<StateStore>>& instances) {
  std::vector<NamedService> services;
  services.push_back(
      {statepb::StateStore::service_full_name(),
       std::make_unique<StateStoreService>(
           [instances](const grpc::ServerContextBase& context) { return instances->For(context); },
           /*transactional=*/false)});
  return services;
}

std::vector<NamedService> StateStoreServices(
    const std::shared_ptr<InstanceMap<TransactionalStateStore>>& instances) {
  std::vector<NamedService> services;
  services.push_back({statepb::StateStore::service_full_name(),
                      std::make_unique<StateStoreService>(
                          [instances](const grpc::ServerContextBase& context) {
                            return std::shared_ptr<StateStore>(instances->For(context));
                          },
                          /*transactional=*/true)});
  services.push_back({statepb::TransactionalStateStore::service_full_name(),
                      std::make_unique<TransactionalService>(instances)});
  services.push_back({statepb::TransactionalStoreMultiMaxSize::service_full_name(),
                      std::make_unique<MultiMaxSizeService>(instances)});
  return services;
}

}  // namespace plughost::sdk
