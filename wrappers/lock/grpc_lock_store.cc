#include "wrappers/lock/grpc_lock_store.h"

#include "wrappers/common/control_calls.h"
#include "wrappers/common/unary_call.h"

namespace plughost {

namespace componentpb = ::dapr::proto::components::v1;

GrpcLockStore::GrpcLockStore(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(lockpb::Lock::NewStub(channel_.channel())) {}

void GrpcLockStore::Init(const InitSpec& spec, StatusCallback done) {
  InitThenFeatures<lockpb::LockInitRequest, lockpb::LockInitResponse>(channel_, stub_.get(), spec,
                                                                      &features_, std::move(done));
}

std::vector<std::string> GrpcLockStore::Features() const { return features_.Get(); }

void GrpcLockStore::Ping(StatusCallback done) { PingWithin(kDefaultPingTimeout, std::move(done)); }

void GrpcLockStore::PingWithin(std::chrono::milliseconds timeout, StatusCallback done) {
  PingComponent(channel_, stub_.get(), timeout, std::move(done));
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
