// Native interface of a distributed-lock store (plughost.components.v1.Lock types).
#pragma once

#include "host/components/component.h"
#include "plughost/components/v1/lock.pb.h"

namespace plughost {

namespace lockpb = ::plughost::components::v1;

class LockStore : public Component {
 public:
  // Never blocks: success=false at once when another owner holds the resource.
  virtual void TryLock(lockpb::TryLockRequest request, const CallOptions& options,
                       Callback<lockpb::TryLockResponse> done) = 0;
  virtual void Unlock(lockpb::UnlockRequest request, const CallOptions& options,
                      Callback<lockpb::UnlockResponse> done) = 0;
};

}  // namespace plughost
