#include "wrappers/lock/grpc_lock_store.h"

#include "wrappers/common/unary_call.h"

namespace plughost {

namespace componentpb = ::dapr::proto::components::v1;

GrpcLockStore::GrpcLockStore(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(lockpb::Lock::NewStub(channel_.channel())) {}

void GrpcLockStore::Init(const InitSpec& spec, StatusCallback done) {
  lockpb::LockInitRequest request;
  request.mutable_metadata()->mutable_properties()->insert(spec.metadata.begin(),
                                                          spec.metadata.end());
  auto timeout = spec.timeout;
  auto* stub = stub_.get();
  StartUnaryCall<lockpb::LockInitRequest, lockpb::LockInitResponse>(
      channel_.NewControlContext(timeout, /*wait_for_ready=*/true), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Init(ctx, req, resp, cb); },
      [this, timeout, stub, done = std::move(done)](grpc::Status status,
                                                   lockpb::LockInitResponse) mutable {
        if (!status.ok()) {
          done(std::move(status));
          return;
        }
        // Features right after Init, as for every other kind.
        StartUnaryCall<componentpb::FeaturesRequest, componentpb::FeaturesResponse>(
            channel_.NewControlContext(timeout), componentpb::FeaturesRequest{},
            [stub](auto* ctx, auto* req, auto* resp, auto cb) {
              stub->async()->Features(ctx, req, resp, cb);
            },
            [this, done = std::move(done)](grpc::Status status,
                                           componentpb::FeaturesResponse features) mutable {
              if (status.ok()) {
                std::lock_guard lock(mutex_);
                features_.assign(features.features().begin(), features.features().end());
              }
              done(std::move(status));
            });
      });
}

std::vector<std::string> GrpcLockStore::Features() const {
  std::lock_guard lock(mutex_);
  return features_;
}

void GrpcLockStore::Ping(StatusCallback done) {
  auto* stub = stub_.get();
  StartUnaryCall<componentpb::PingRequest, componentpb::PingResponse>(
      channel_.NewControlContext(std::chrono::seconds(2)), componentpb::PingRequest{},
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Ping(ctx, req, resp, cb); },
      [done = std::move(done)](grpc::Status status, componentpb::PingResponse) mutable {
        done(std::move(status));
      });
}

void GrpcLockStore::TryLock(lockpb::TryLockRequest request, const CallOptions& options,
                            Callback<lockpb::TryLockResponse> done) {
  auto* stub = stub_.get();
  StartUnaryCall<lockpb::TryLockRequest, lockpb::TryLockResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->TryLock(ctx, req, resp, cb);
      },
      std::move(done));
}

void GrpcLockStore::Unlock(lockpb::UnlockRequest request, const CallOptions& options,
                           Callback<lockpb::UnlockResponse> done) {
  auto* stub = stub_.get();
  StartUnaryCall<lockpb::UnlockRequest, lockpb::UnlockResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Unlock(ctx, req, resp, cb);
      },
      std::move(done));
}

}  // namespace plughost
