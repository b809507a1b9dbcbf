// SecretStore over a component socket: dapr.proto.components.v1.SecretStore.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/secretstore.grpc.pb.h"
#include "host/components/secret_store.h"
#include "wrappers/common/component_channel.h"
#include "wrappers/common/control_calls.h"

namespace plughost {

class GrpcSecretStore : public SecretStore {
 public:
  GrpcSecretStore(std::string socket_path, std::string instance_name);

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override;
  void Ping(StatusCallback done) override;
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override;

  // SecretStore
  void Get(secretspb::GetSecretRequest request, const CallOptions& options,
           Callback<secretspb::GetSecretResponse> done) override;
  void BulkGet(secretspb::BulkGetSecretRequest request, const CallOptions& options,
               Callback<secretspb::BulkGetSecretResponse> done) override;

 private:
  ComponentChannel channel_;
  std::unique_ptr<secretspb::SecretStore::Stub> stub_;

  FeatureList features_;
};

}  // namespace plughost
