// LockStore over a component socket: plughost.components.v1.Lock.
#pragma once

#include "host/components/lock_store.h"
#include "plughost/components/v1/lock.grpc.pb.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

class GrpcLockStore : public GrpcFeaturedComponentBase<LockStore, lockpb::Lock> {
 public:
  using GrpcFeaturedComponentBase::GrpcFeaturedComponentBase;  // (socket_path, instance_name)

  // LockStore
  void TryLock(lockpb::TryLockRequest request, const CallOptions& options,
               Callback<lockpb::TryLockResponse> done) override;
  void Unlock(lockpb::UnlockRequest request, const CallOptions& options,
              Callback<lockpb::UnlockResponse> done) override;
};

}  // namespace plughost
