#include "examples/components/cpp/lock_service.h"

#include "sdk/cpp/unary_reaction.h"

namespace plughost::sample {

void LockTable::DropExpiredLocked(Clock::time_point now) {
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    held_.erase(expiries_.begin()->second);
    expiries_.erase(expiries_.begin());
  }
}

bool LockTable::TryLock(const std::string& resource, const std::string& owner,
                        int32_t expiry_seconds) {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  DropExpiredLocked(now);
  if (held_.count(resource)) return false;  // held, even by `owner`: not reentrant
  auto expiry = expiries_.emplace(now + std::chrono::seconds(expiry_seconds), resource);
  held_.emplace(resource, Held{owner, expiry});
  return true;
}

lockpb::UnlockResponse::Status LockTable::Unlock(const std::string& resource,
                                                 const std::string& owner) {
  std::lock_guard lock(mutex_);
  DropExpiredLocked(Clock::now());
  auto it = held_.find(resource);
  if (it == held_.end()) return lockpb::UnlockResponse::LOCK_DOES_NOT_EXIST;
  if (it->second.owner != owner) return lockpb::UnlockResponse::LOCK_BELONGS_TO_OTHERS;
  expiries_.erase(it->second.expiry);
  held_.erase(it);
  return lockpb::UnlockResponse::SUCCESS;
}

grpc::ServerUnaryReactor* LockService::Init(grpc::CallbackServerContext* context,
                                            const lockpb::LockInitRequest* /*request*/,
                                            lockpb::LockInitResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    // Creates the instance; held locks survive a re-Init (the host re-Inits after it restarts).
    instances_->For(*context);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* LockService::Features(grpc::CallbackServerContext* context,
                                                const componentpb::FeaturesRequest* /*request*/,
                                                componentpb::FeaturesResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* LockService::Ping(grpc::CallbackServerContext* context,
                                            const componentpb::PingRequest* /*request*/,
                                            componentpb::PingResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* LockService::TryLock(grpc::CallbackServerContext* context,
                                               const lockpb::TryLockRequest* request,
                                               lockpb::TryLockResponse* response) {
  return sdk::ReactUnary(context, [&] {
    if (request->lock_owner() == kEchoResourceOwner) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, request->resource_id());
    }
    if (request->resource_id().empty() || request->lock_owner().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "resource_id and lock_owner must not be empty");
    }
    if (request->expiry_in_seconds() <= 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "expiry_in_seconds must be positive");
    }
    response->set_success(instances_->For(*context)->TryLock(
        request->resource_id(), request->lock_owner(), request->expiry_in_seconds()));
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* LockService::Unlock(grpc::CallbackServerContext* context,
                                              const lockpb::UnlockRequest* request,
                                              lockpb::UnlockResponse* response) {
  return sdk::ReactUnary(context, [&] {
    response->set_status(
        instances_->For(*context)->Unlock(request->resource_id(), request->lock_owner()));
    return grpc::Status::OK;
  });
}

}  // namespace plughost::sample
