// dapr.proto.runtime.v1.Dapr, the API apps reach through Dapr's SDKs. Each building block's
// handlers live in their own file (dapr_state_api.cc, dapr_metadata_api.cc, ...). Methods not
// overridden here answer UNIMPLEMENTED, as the generated base class does.
#pragma once

#include "dapr/proto/runtime/v1/dapr.grpc.pb.h"
#include "host/api/api_context.h"

namespace plughost {

namespace runtimepb = ::dapr::proto::runtime::v1;

// The configuration subscriptions apps hold open (dapr_configuration_api.cc).
class ConfigurationSubscriptions;
std::shared_ptr<ConfigurationSubscriptions> NewConfigurationSubscriptions();

class DaprApi final : public runtimepb::Dapr::CallbackService {
 public:
  explicit DaprApi(ApiContext* context) : context_(context) {}

  // State (dapr_state_api.cc)
  grpc::ServerUnaryReactor* GetState(grpc::CallbackServerContext* call,
                                     const runtimepb::GetStateRequest* request,
                                     runtimepb::GetStateResponse* response) override;
  grpc::ServerUnaryReactor* GetBulkState(grpc::CallbackServerContext* call,
                                         const runtimepb::GetBulkStateRequest* request,
                                         runtimepb::GetBulkStateResponse* response) override;
  grpc::ServerUnaryReactor* SaveState(grpc::CallbackServerContext* call,
                                      const runtimepb::SaveStateRequest* request,
                                      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* DeleteState(grpc::CallbackServerContext* call,
                                        const runtimepb::DeleteStateRequest* request,
                                        google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* DeleteBulkState(grpc::CallbackServerContext* call,
                                            const runtimepb::DeleteBulkStateRequest* request,
                                            google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ExecuteStateTransaction(
      grpc::CallbackServerContext* call, const runtimepb::ExecuteStateTransactionRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* QueryStateAlpha1(grpc::CallbackServerContext* call,
                                             const runtimepb::QueryStateRequest* request,
                                             runtimepb::QueryStateResponse* response) override;

  // Pub/sub (dapr_pubsub_api.cc); BulkPublishEventAlpha1 answers like BulkPublishEvent.
  grpc::ServerUnaryReactor* PublishEvent(grpc::CallbackServerContext* call,
                                         const runtimepb::PublishEventRequest* request,
                                         google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* BulkPublishEvent(grpc::CallbackServerContext* call,
                                             const runtimepb::BulkPublishRequest* request,
                                             runtimepb::BulkPublishResponse* response) override;
  grpc::ServerUnaryReactor* BulkPublishEventAlpha1(
      grpc::CallbackServerContext* call, const runtimepb::BulkPublishRequest* request,
      runtimepb::BulkPublishResponse* response) override;
  grpc::ServerBidiReactor<runtimepb::SubscribeTopicEventsRequestAlpha1,
                          runtimepb::SubscribeTopicEventsResponseAlpha1>*
  SubscribeTopicEventsAlpha1(grpc::CallbackServerContext* call) override;

  // Distributed lock (dapr_lock_api.cc)
  grpc::ServerUnaryReactor* TryLockAlpha1(grpc::CallbackServerContext* call,
                                          const runtimepb::TryLockRequest* request,
                                          runtimepb::TryLockResponse* response) override;
  grpc::ServerUnaryReactor* UnlockAlpha1(grpc::CallbackServerContext* call,
                                         const runtimepb::UnlockRequest* request,
                                         runtimepb::UnlockResponse* response) override;

  // Output bindings (dapr_bindings_api.cc)
  grpc::ServerUnaryReactor* InvokeBinding(grpc::CallbackServerContext* call,
                                          const runtimepb::InvokeBindingRequest* request,
                                          runtimepb::InvokeBindingResponse* response) override;

  // Secrets (dapr_secrets_api.cc)
  grpc::ServerUnaryReactor* GetSecret(grpc::CallbackServerContext* call,
                                      const runtimepb::GetSecretRequest* request,
                                      runtimepb::GetSecretResponse* response) override;
  grpc::ServerUnaryReactor* GetBulkSecret(grpc::CallbackServerContext* call,
                                          const runtimepb::GetBulkSecretRequest* request,
                                          runtimepb::GetBulkSecretResponse* response) override;

  // Configuration (dapr_configuration_api.cc); the Alpha1 names answer the same.
  grpc::ServerUnaryReactor* GetConfiguration(
      grpc::CallbackServerContext* call, const runtimepb::GetConfigurationRequest* request,
      runtimepb::GetConfigurationResponse* response) override;
  grpc::ServerUnaryReactor* GetConfigurationAlpha1(
      grpc::CallbackServerContext* call, const runtimepb::GetConfigurationRequest* request,
      runtimepb::GetConfigurationResponse* response) override;
  grpc::ServerWriteReactor<runtimepb::SubscribeConfigurationResponse>* SubscribeConfiguration(
      grpc::CallbackServerContext* call,
      const runtimepb::SubscribeConfigurationRequest* request) override;
  grpc::ServerWriteReactor<runtimepb::SubscribeConfigurationResponse>* SubscribeConfigurationAlpha1(
      grpc::CallbackServerContext* call,
      const runtimepb::SubscribeConfigurationRequest* request) override;
  grpc::ServerUnaryReactor* UnsubscribeConfiguration(
      grpc::CallbackServerContext* call, const runtimepb::UnsubscribeConfigurationRequest* request,
      runtimepb::UnsubscribeConfigurationResponse* response) override;
  grpc::ServerUnaryReactor* UnsubscribeConfigurationAlpha1(
      grpc::CallbackServerContext* call, const runtimepb::UnsubscribeConfigurationRequest* request,
      runtimepb::UnsubscribeConfigurationResponse* response) override;
  // Ends every open SubscribeConfiguration stream (OK), as at shutdown, so none holds the drain.
  void CloseConfigurationSubscriptions();

  // Metadata and lifecycle (dapr_metadata_api.cc)
  grpc::ServerUnaryReactor* GetMetadata(grpc::CallbackServerContext* call,
                                        const runtimepb::GetMetadataRequest* request,
                                        runtimepb::GetMetadataResponse* response) override;
  grpc::ServerUnaryReactor* SetMetadata(grpc::CallbackServerContext* call,
                                        const runtimepb::SetMetadataRequest* request,
                                        google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* Shutdown(grpc::CallbackServerContext* call,
                                     const runtimepb::ShutdownRequest* request,
                                     google::protobuf::Empty* response) override;

 private:
  // GetConfiguration and its Alpha1 name; `method` labels the call's metrics. (Not an overload
  // of GetConfiguration: that would hide the generated base's other overloads.)
  grpc::ServerUnaryReactor* AnswerGetConfiguration(
      std::string_view method, grpc::CallbackServerContext* call,
      const runtimepb::GetConfigurationRequest* request,
      runtimepb::GetConfigurationResponse* response);
  // The named instance of `kind`, or nullptr once `reactor` is finished with Dapr's error.
  InstancePtr ResolveOrFinish(grpc::CallbackServerContext* call, MeteredUnaryReactor* reactor,
                              ComponentKind kind, const std::string& name,
                              const LookupWording* wording = nullptr) const;
  CallOptions OptionsFor(grpc::CallbackServerContext* call) const;

  ApiContext* context_;
  // Open configuration subscriptions by id, for UnsubscribeConfiguration.
  std::shared_ptr<ConfigurationSubscriptions> configuration_subscriptions_ =
      NewConfigurationSubscriptions();
};

}  // namespace plughost
