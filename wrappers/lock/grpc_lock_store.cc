#include "wrappers/lock/grpc_lock_store.h"

namespace plughost {

void GrpcLockStore::TryLock(lockpb::TryLockRequest request, const CallOptions& options,
                            Callback<lockpb::TryLockResponse> done) {
  Call(&Async::TryLock, std::move(request), options, std::move(done));
}

void GrpcLockStore::Unlock(lockpb::UnlockRequest request, const CallOptions& options,
                           Callback<lockpb::UnlockResponse> done) {
  Call(&Async::Unlock, std::move(request), options, std::move(done));
}

}  // namespace plughost
