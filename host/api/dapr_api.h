// dapr.proto.runtime.v1.Dapr, the API apps reach through Dapr's SDKs. Each building block's
// handlers live in their own file (dapr_state_api.cc, dapr_metadata_api.cc, ...). Methods not
// overridden here answer UNIMPLEMENTED, as the generated base class does.
#pragma once

#include "dapr/proto/runtime/v1/dapr.grpc.pb.h"
#include "host/api/api_context.h"

namespace plughost {

namespace runtimepb = ::dapr::proto::runtime::v1;

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
  // The named instance of `kind`, or the error Dapr gives when there is none.
  InstancePtr Resolve(grpc::CallbackServerContext* call, ComponentKind kind,
                      const std::string& name, grpc::Status* error) const;
  CallOptions OptionsFor(grpc::CallbackServerContext* call) const;

  ApiContext* context_;
};

}  // namespace plughost
