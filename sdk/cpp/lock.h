// What a lock store author implements (plughost.components.v1.Lock): one object per component
// instance. Served by ComponentServer::AddLock<Store>() through lock_service.h.
#pragma once

#include "plughost/components/v1/lock.pb.h"
#include "sdk/cpp/component.h"

namespace plughost::sdk {

namespace lockpb = ::plughost::components::v1;

class LockStore : public Component {
 public:
  // success=false (and OK) when another owner holds the resource.
  virtual grpc::Status TryLock(const lockpb::TryLockRequest& request,
                               lockpb::TryLockResponse* response) = 0;
  // Outcomes are statuses in the response (SUCCESS, LOCK_DOES_NOT_EXIST,
  // LOCK_BELONGS_TO_OTHERS); a non-OK return is for a store that cannot answer.
  virtual grpc::Status Unlock(const lockpb::UnlockRequest& request,
                              lockpb::UnlockResponse* response) = 0;
};

}  // namespace plughost::sdk
