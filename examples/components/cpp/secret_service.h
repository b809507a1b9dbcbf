// dapr.proto.components.v1.SecretStore with one set of secrets per instance, taken from the
// instance's Init metadata: every entry "secret.<name>" = <value> is a secret <name> holding
// {<name>: <value>}. Other metadata entries are ignored.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "dapr/proto/components/v1/secretstore.grpc.pb.h"
#include "sdk/cpp/instance_map.h"

namespace plughost::sample {

namespace secretspb = ::dapr::proto::components::v1;

class SecretInstance {
 public:
  static constexpr char kSecretPrefix[] = "secret.";

  // Replaces the secrets with those in `metadata`; INVALID_ARGUMENT for "secret." alone.
  grpc::Status Init(const std::map<std::string, std::string>& metadata);
  // NOT_FOUND for an unknown name.
  grpc::Status Get(const std::string& name, secretspb::GetSecretResponse* response);
  void BulkGet(secretspb::BulkGetSecretResponse* response);

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> secrets_;
};

class SecretStoreService final : public secretspb::SecretStore::CallbackService {
 public:
  SecretStoreService() : instances_(std::make_shared<sdk::InstanceMap<SecretInstance>>()) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const secretspb::SecretStoreInitRequest* request,
                                 secretspb::SecretStoreInitResponse* response) override;
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const secretspb::FeaturesRequest* request,
                                     secretspb::FeaturesResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const secretspb::GetSecretRequest* request,
                                secretspb::GetSecretResponse* response) override;
  grpc::ServerUnaryReactor* BulkGet(grpc::CallbackServerContext* context,
                                    const secretspb::BulkGetSecretRequest* request,
                                    secretspb::BulkGetSecretResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const secretspb::PingRequest* request,
                                 secretspb::PingResponse* response) override;

 private:
  std::shared_ptr<sdk::InstanceMap<SecretInstance>> instances_;
};

}  // namespace plughost::sample
