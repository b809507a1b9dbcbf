#include "wrappers/secretstore/grpc_secret_store.h"

#include "wrappers/common/unary_call.h"

namespace plughost {

GrpcSecretStore::GrpcSecretStore(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(secretspb::SecretStore::NewStub(channel_.channel())) {}

void GrpcSecretStore::Init(const InitSpec& spec, StatusCallback done) {
  secretspb::SecretStoreInitRequest request;
  request.mutable_metadata()->mutable_properties()->insert(spec.metadata.begin(),
                                                           spec.metadata.end());
  auto timeout = spec.timeout;
  auto* stub = stub_.get();
  StartUnaryCall<secretspb::SecretStoreInitRequest, secretspb::SecretStoreInitResponse>(
      channel_.NewControlContext(timeout, /*wait_for_ready=*/true), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Init(ctx, req, resp, cb);
      },
      [this, timeout, stub, done = std::move(done)](grpc::Status status,
                                                    secretspb::SecretStoreInitResponse) mutable {
        if (!status.ok()) {
          done(std::move(status));
          return;
        }
        // Dapr asks for features right after Init; so do we.
        StartUnaryCall<secretspb::FeaturesRequest, secretspb::FeaturesResponse>(
            channel_.NewControlContext(timeout), secretspb::FeaturesRequest{},
            [stub](auto* ctx, auto* req, auto* resp, auto cb) {
              stub->async()->Features(ctx, req, resp, cb);
            },
            [this, done = std::move(done)](grpc::Status status,
                                           secretspb::FeaturesResponse features) mutable {
              if (status.ok()) {
                std::lock_guard lock(mutex_);
                features_.assign(features.features().begin(), features.features().end());
              }
              done(std::move(status));
            });
      });
}

std::vector<std::string> GrpcSecretStore::Features() const {
  std::lock_guard lock(mutex_);
  return features_;
}

void GrpcSecretStore::Ping(StatusCallback done) {
  auto* stub = stub_.get();
  StartUnaryCall<secretspb::PingRequest, secretspb::PingResponse>(
      channel_.NewControlContext(std::chrono::seconds(2)), secretspb::PingRequest{},
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Ping(ctx, req, resp, cb);
      },
      [done = std::move(done)](grpc::Status status, secretspb::PingResponse) mutable {
        done(std::move(status));
      });
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
