// spec.proto.runtime.v1.Runtime, Layotto's app-facing API, served beside Dapr's on the same
// port and backed by the same component instances.
#pragma once

#include "host/api/api_context.h"
#include "spec/proto/runtime/v1/runtime.grpc.pb.h"

namespace plughost {

namespace layottopb = ::spec::proto::runtime::v1;

class LayottoApi final : public layottopb::Runtime::CallbackService {
 public:
  explicit LayottoApi(ApiContext* context) : context_(context) {}

  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* call,
                                     const layottopb::SayHelloRequest* request,
                                     layottopb::SayHelloResponse* response) override;

  // Distributed lock and sequencer (layotto_lock_sequencer_api.cc)
  grpc::ServerUnaryReactor* TryLock(grpc::CallbackServerContext* call,
                                    const layottopb::TryLockRequest* request,
                                    layottopb::TryLockResponse* response) override;
  grpc::ServerUnaryReactor* Unlock(grpc::CallbackServerContext* call,
                                   const layottopb::UnlockRequest* request,
                                   layottopb::UnlockResponse* response) override;
  grpc::ServerUnaryReactor* GetNextId(grpc::CallbackServerContext* call,
                                      const layottopb::GetNextIdRequest* request,
                                      layottopb::GetNextIdResponse* response) override;

  // Configuration (layotto_configuration_api.cc)
  grpc::ServerUnaryReactor* GetConfiguration(grpc::CallbackServerContext* call,
                                             const layottopb::GetConfigurationRequest* request,
                                             layottopb::GetConfigurationResponse* response) override;

 private:
  ApiContext* context_;
};

}  // namespace plughost
