// SecretStore over a component socket: dapr.proto.components.v1.SecretStore.
#pragma once

#include "dapr/proto/components/v1/secretstore.grpc.pb.h"
#include "host/components/secret_store.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

class GrpcSecretStore : public GrpcFeaturedComponentBase<SecretStore, secretspb::SecretStore> {
 public:
  using GrpcFeaturedComponentBase::GrpcFeaturedComponentBase;  // (socket_path, instance_name)

  // SecretStore
  void Get(secretspb::GetSecretRequest request, const CallOptions& options,
           Callback<secretspb::GetSecretResponse> done) override;
  void BulkGet(secretspb::BulkGetSecretRequest request, const CallOptions& options,
               Callback<secretspb::BulkGetSecretResponse> done) override;
};

}  // namespace plughost
