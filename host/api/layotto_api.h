// spec.proto.runtime.v1.Runtime, Layotto's app-facing API, served beside Dapr's on the same
// port and backed by the same component instances.
#pragma once

#include <memory>

#include "host/api/api_context.h"
#include "spec/proto/runtime/v1/runtime.grpc.pb.h"

namespace plughost {

namespace layottopb = ::spec::proto::runtime::v1;

// The open SubscribeConfiguration streams, so shutdown can end them
// (layotto_configuration_stream.cc).
class LayottoConfigurationStreams;
std::shared_ptr<LayottoConfigurationStreams> NewLayottoConfigurationStreams();

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
  grpc::ServerUnaryReactor* GetConfiguration(
      grpc::CallbackServerContext* call, const layottopb::GetConfigurationRequest* request,
      layottopb::GetConfigurationResponse* response) override;
  grpc::ServerUnaryReactor* SaveConfiguration(grpc::CallbackServerContext* call,
                                              const layottopb::SaveConfigurationRequest* request,
                                              google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* DeleteConfiguration(
      grpc::CallbackServerContext* call, const layottopb::DeleteConfigurationRequest* request,
      google::protobuf::Empty* response) override;
  // layotto_configuration_stream.cc
  grpc::ServerBidiReactor<layottopb::SubscribeConfigurationRequest,
                          layottopb::SubscribeConfigurationResponse>*
  SubscribeConfiguration(grpc::CallbackServerContext* call) override;

  // Ends every open SubscribeConfiguration stream (host shutdown), so none holds up the drain.
  void CloseConfigurationSubscriptions();

 private:
  ApiContext* context_;
  std::shared_ptr<LayottoConfigurationStreams> configuration_streams_ =
      NewLayottoConfigurationStreams();
};

}  // namespace plughost
