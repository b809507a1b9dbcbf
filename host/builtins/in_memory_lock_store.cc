#include "host/builtins/in_memory_lock_store.h"

#include <utility>

namespace plughost {

InMemoryLockStore::InMemoryLockStore(Clock clock)
    : clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

void InMemoryLockStore::Init(const InitSpec& /*spec*/, StatusCallback done) {
  done(grpc::Status::OK);
}

void InMemoryLockStore::SweepExpiredLocked(TimePoint now) {
  // A lock whose expiry time has been reached is free: expiry_in_seconds is how long it is held.
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    held_.erase(expiries_.begin()->second);
    expiries_.erase(expiries_.begin());
  }
}

void InMemoryLockStore::TryLock(lockpb::TryLockRequest request, const CallOptions& /*options*/,
                                Callback<lockpb::TryLockResponse> done) {
  // The runtime APIs validate first; a store still refuses what it cannot honour.
  if (request.resource_id().empty() || request.lock_owner().empty()) {
    done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      "resource_id and lock_owner must not be empty"),
         {});
    return;
  }
  if (request.expiry_in_seconds() <= 0) {
    done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "expiry_in_seconds must be positive"),
         {});
    return;
  }
  lockpb::TryLockResponse response;
  {
    std::lock_guard lock(mutex_);
    TimePoint now = clock_();
    SweepExpiredLocked(now);
    if (held_.find(request.resource_id()) == held_.end()) {
      auto expiry = expiries_.emplace(now + std::chrono::seconds(request.expiry_in_seconds()),
                                      request.resource_id());
      held_.emplace(request.resource_id(), Held{std::move(*request.mutable_lock_owner()), expiry});
      response.set_success(true);
    }
  }
  done(grpc::Status::OK, std::move(response));
}

void InMemoryLockStore::Unlock(lockpb::UnlockRequest request, const CallOptions& /*options*/,
                               Callback<lockpb::UnlockResponse> done) {
  lockpb::UnlockResponse response;
  {
    std::lock_guard lock(mutex_);
    SweepExpiredLocked(clock_());
    auto it = held_.find(request.resource_id());
    if (it == held_.end()) {
      response.set_status(lockpb::UnlockResponse::LOCK_DOES_NOT_EXIST);
    } else if (it->second.owner != request.lock_owner()) {
      response.set_status(lockpb::UnlockResponse::LOCK_BELONGS_TO_OTHERS);
    } else {
      expiries_.erase(it->second.expiry);
      held_.erase(it);
      response.set_status(lockpb::UnlockResponse::SUCCESS);
    }
  }
  done(grpc::Status::OK, std::move(response));
}

}  // namespace plughost
