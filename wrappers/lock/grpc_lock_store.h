// LockStore over a component socket: plughost.components.v1.Lock.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/components/lock_store.h"
#include "plughost/components/v1/lock.grpc.pb.h"
#include "wrappers/common/component_channel.h"
#include "wrappers/common/control_calls.h"

namespace plughost {

class GrpcLockStore : public LockStore {
 public:
  GrpcLockStore(std::string socket_path, std::string instance_name);

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override;
  void Ping(StatusCallback done) override;
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override;

  // LockStore
  void TryLock(lockpb::TryLockRequest request, const CallOptions& options,
               Callback<lockpb::TryLockResponse> done) override;
  void Unlock(lockpb::UnlockRequest request, const CallOptions& options,
              Callback<lockpb::UnlockResponse> done) override;

 private:
  ComponentChannel channel_;
  std::unique_ptr<lockpb::Lock::Stub> stub_;

  FeatureList features_;
};

}  // namespace plughost
