// plughost.components.v1.Lock: one in-memory lock table per instance, on gRPC's callback API.
// Not reentrant; TryLock never waits; a lock past its expiry is free.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "plughost/components/v1/lock.grpc.pb.h"
#include "sdk/cpp/instance_map.h"

namespace plughost::sample {

namespace lockpb = ::plughost::components::v1;
namespace componentpb = ::dapr::proto::components::v1;

// Test hook: a TryLock by this owner fails with INVALID_ARGUMENT carrying the resource id exactly
// as received, which shows how the host namespaced it.
inline constexpr char kEchoResourceOwner[] = "__echo_resource_id__";

// The locks of one instance.
class LockTable {
 public:
  // True when `resource` was free (never held, released, or expired) and is now held by `owner`.
  bool TryLock(const std::string& resource, const std::string& owner, int32_t expiry_seconds);
  lockpb::UnlockResponse::Status Unlock(const std::string& resource, const std::string& owner);

 private:
  using Clock = std::chrono::steady_clock;
  using ExpiryIndex = std::multimap<Clock::time_point, std::string>;
  struct Held {
    std::string owner;
    ExpiryIndex::iterator expiry;
  };

  // Frees every lock whose expiry has passed; expects mutex_ held.
  void DropExpiredLocked(Clock::time_point now);

  std::mutex mutex_;
  std::unordered_map<std::string, Held> held_;
  ExpiryIndex expiries_;  // soonest first
};

class LockService final : public lockpb::Lock::CallbackService {
 public:
  LockService() : instances_(std::make_shared<sdk::InstanceMap<LockTable>>()) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const lockpb::LockInitRequest* request,
                                 lockpb::LockInitResponse* response) override;
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const componentpb::FeaturesRequest* request,
                                     componentpb::FeaturesResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const componentpb::PingRequest* request,
                                 componentpb::PingResponse* response) override;
  grpc::ServerUnaryReactor* TryLock(grpc::CallbackServerContext* context,
                                    const lockpb::TryLockRequest* request,
                                    lockpb::TryLockResponse* response) override;
  grpc::ServerUnaryReactor* Unlock(grpc::CallbackServerContext* context,
                                   const lockpb::UnlockRequest* request,
                                   lockpb::UnlockResponse* response) override;

 private:
  std::shared_ptr<sdk::InstanceMap<LockTable>> instances_;
};

}  // namespace plughost::sample
