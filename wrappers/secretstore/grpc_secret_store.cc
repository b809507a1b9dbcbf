#include "wrappers/secretstore/grpc_secret_store.h"

#include "wrappers/common/control_calls.h"
#include "wrappers/common/unary_call.h"

namespace plughost {

GrpcSecretStore::GrpcSecretStore(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(secretspb::SecretStore::NewStub(channel_.channel())) {}

void GrpcSecretStore::Init(const InitSpec& spec, StatusCallback done) {
  InitThenFeatures<secretspb::SecretStoreInitRequest, secretspb::SecretStoreInitResponse>(
      channel_, stub_.get(), spec, &features_, std::move(done));
}

std::vector<std::string> GrpcSecretStore::Features() const { return features_.Get(); }

void GrpcSecretStore::Ping(StatusCallback done) {
  PingWithin(kDefaultPingTimeout, std::move(done));
}

void GrpcSecretStore::PingWithin(std::chrono::milliseconds timeout, StatusCallback done) {
  PingComponent(channel_, stub_.get(), timeout, std::move(done));
}

void GrpcSecretStore::Get(secretspb::GetSecretRequest request, const CallOptions& options,
                          Callback<secretspb::GetSecretResponse> done) {
  auto* stub = stub_.get();
  StartUnaryCall<secretspb::GetSecretRequest, secretspb::GetSecretResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Get(ctx, req, resp, cb); },
      std::move(done));
}

void GrpcSecretStore::BulkGet(secretspb::BulkGetSecretRequest request, const CallOptions& options,
                              Callback<secretspb::BulkGetSecretResponse> done) {
  auto* stub = stub_.get();
  StartUnaryCall<secretspb::BulkGetSecretRequest, secretspb::BulkGetSecretResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->BulkGet(ctx, req, resp, cb);
      },
      std::move(done));
}

}  // namespace plughost
