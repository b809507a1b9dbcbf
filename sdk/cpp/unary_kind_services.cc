#include "sdk/cpp/unary_kind_services.h"

#include <utility>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "plughost/components/v1/lock.grpc.pb.h"
#include "plughost/components/v1/sequencer.grpc.pb.h"
#include "sdk/cpp/kind_service.h"
#include "sdk/cpp/serve_unary.h"

namespace plughost::sdk {
namespace {

namespace commonpb = ::dapr::proto::components::v1;

class LockService final
    : public FeaturedKindService<lockpb::Lock::CallbackService, LockStore, lockpb::LockInitRequest,
                                 lockpb::LockInitResponse> {
 public:
  using FeaturedKindService::FeaturedKindService;

  grpc::ServerUnaryReactor* TryLock(grpc::CallbackServerContext* context,
                                    const lockpb::TryLockRequest* request,
                                    lockpb::TryLockResponse* response) override {
    auto store = instances_->For(*context);
    return ServeUnary(context, store->workers(), request, response,
                      [store](const lockpb::TryLockRequest& in, lockpb::TryLockResponse* out) {
                        return store->TryLock(in, out);
                      });
  }
  grpc::ServerUnaryReactor* Unlock(grpc::CallbackServerContext* context,
                                   const lockpb::UnlockRequest* request,
                                   lockpb::UnlockResponse* response) override {
    auto store = instances_->For(*context);
    return ServeUnary(context, store->workers(), request, response,
                      [store](const lockpb::UnlockRequest& in, lockpb::UnlockResponse* out) {
                        return store->Unlock(in, out);
                      });
  }
};

class SequencerService final
    : public FeaturedKindService<sequencerpb::Sequencer::CallbackService, Sequencer,
                                 sequencerpb::SequencerInitRequest,
                                 sequencerpb::SequencerInitResponse> {
 public:
  using FeaturedKindService::FeaturedKindService;

  grpc::ServerUnaryReactor* GetNextId(grpc::CallbackServerContext* context,
                                      const sequencerpb::GetNextIdRequest* request,
                                      sequencerpb::GetNextIdResponse* response) override {
    auto store = instances_->For(*context);
    return ServeUnary(
        context, store->workers(), request, response,
        [store](const sequencerpb::GetNextIdRequest& in, sequencerpb::GetNextIdResponse* out) {
          return store->GetNextId(in, out);
        });
  }
};

class OutputBindingService final
    : public KindService<bindingpb::OutputBinding::CallbackService, OutputBinding,
                         bindingpb::OutputBindingInitRequest,
                         bindingpb::OutputBindingInitResponse> {
 public:
  using KindService::KindService;

  grpc::ServerUnaryReactor* ListOperations(grpc::CallbackServerContext* context,
                                           const bindingpb::ListOperationsRequest* /*request*/,
                                           bindingpb::ListOperationsResponse* response) override {
    auto binding = instances_->For(*context);
    return ReactUnary(context, [&] {
      for (std::string& operation : binding->Operations()) {
        response->add_operations(std::move(operation));
      }
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* Invoke(grpc::CallbackServerContext* context,
                                   const bindingpb::InvokeRequest* request,
                                   bindingpb::InvokeResponse* response) override {
    auto binding = instances_->For(*context);
    return ServeUnary(
        context, binding->workers(), request, response,
        [binding](const bindingpb::InvokeRequest& in, bindingpb::InvokeResponse* out) {
          return binding->Invoke(in, out);
        });
  }
};

}  // namespace

std::vector<NamedService> LockServices(std::shared_ptr<InstanceMap<LockStore>> instances) {
  std::vector<NamedService> services;
  services.push_back(
      {lockpb::Lock::service_full_name(), std::make_unique<LockService>(std::move(instances))});
  return services;
}

std::vector<NamedService> SequencerServices(std::shared_ptr<InstanceMap<Sequencer>> instances) {
  std::vector<NamedService> services;
  services.push_back({sequencerpb::Sequencer::service_full_name(),
                      std::make_unique<SequencerService>(std::move(instances))});
  return services;
}

std::vector<NamedService> OutputBindingServices(
    std::shared_ptr<InstanceMap<OutputBinding>> instances) {
  std::vector<NamedService> services;
  services.push_back({bindingpb::OutputBinding::service_full_name(),
                      std::make_unique<OutputBindingService>(std::move(instances))});
  return services;
}

}  // namespace plughost::sdk
