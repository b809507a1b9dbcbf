// Distributed-lock handlers of the Dapr API (TryLockAlpha1, UnlockAlpha1): Dapr's checks in
// Dapr's order, the resource id namespaced by the store's keyPrefix (lock_sequencer_keys.h),
// one call to the named lock store.
#include <optional>

#include "host/api/api_errors.h"
#include "host/api/dapr_api.h"
#include "host/api/lock_sequencer_keys.h"
#include "host/api/lock_target.h"
#include "host/components/lock_store.h"

namespace plughost {
namespace {

// The checks TryLock and Unlock share, in Dapr's order: the API token, a positive `expiry` (TryLock
// only), any lock store at all, a resource id, an owner, then the named store. The last step,
// ResolveInstance, adds the host's own: the store is up and has a free call slot.
template <typename Request>
InstancePtr ResolveLockStore(const ApiContext& context, grpc::CallbackServerContext* call,
                             const Request& request, std::optional<int32_t> expiry,
                             grpc::Status* error) {
  const std::string& store = request.store_name();
  if (auto status = Authorize(context, call); !status.ok()) {
    *error = status;
  } else if (expiry && *expiry <= 0) {
    *error = api_errors::LockExpiryNotPositive(store);
  } else if (!context.instances->HasKind(ComponentKind::kLock)) {
    *error = api_errors::LockStoresNotConfigured();
  } else if (request.resource_id().empty()) {
    *error = api_errors::LockResourceIdEmpty(store);
  } else if (request.lock_owner().empty()) {
    *error = api_errors::LockOwnerEmpty(store);
  } else if (!context.instances->Find(ComponentKind::kLock, store)) {
    *error = api_errors::LockStoreNotFound(store);
  } else {
    return ResolveInstance(context, call, ComponentKind::kLock, store, error);
  }
  return nullptr;
}

// The cause reported for an id containing "||". TryLockFailed/UnlockFailed turn it into INTERNAL:
// Dapr reports such an id as a failed lock call, not as a bad argument.
grpc::Status RefusedId(const absl::Status& status) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(status.message()));
}

// The lock store a request names and its key for the resource id, or nullopt once `reactor` is
// finished with the error; `failed` words a refused id as the method reports failures.
template <typename Request>
std::optional<LockTarget> ResolveLockOrFinish(const ApiContext& context,
                                              grpc::CallbackServerContext* call,
                                              MeteredUnaryReactor* reactor, const Request& request,
                                              std::optional<int32_t> expiry,
                                              grpc::Status (*failed)(const grpc::Status&)) {
  grpc::Status error;
  auto store = ResolveLockStore(context, call, request, expiry, &error);
  return LockTargetOrFinish(
      reactor, std::move(store), error, request.resource_id(), &DaprLockKey,
      [failed](const absl::Status& refused) { return failed(RefusedId(refused)); });
}

}  // namespace

grpc::ServerUnaryReactor* DaprApi::TryLockAlpha1(grpc::CallbackServerContext* call,
                                                 const runtimepb::TryLockRequest* request,
                                                 runtimepb::TryLockResponse* response) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Dapr/TryLockAlpha1", request->store_name());
  auto target = ResolveLockOrFinish(*context_, call, reactor, *request,
                                    request->expiry_in_seconds(), &api_errors::TryLockFailed);
  if (!target) return reactor;
  lockpb::TryLockRequest try_lock;
  try_lock.set_resource_id(std::move(target->resource_id));
  try_lock.set_lock_owner(request->lock_owner());
  try_lock.set_expiry_in_seconds(request->expiry_in_seconds());
  target->store->As<LockStore>()->TryLock(
      std::move(try_lock), OptionsFor(call),
      [reactor, response, store = target->store](const grpc::Status& status,
                                                 const lockpb::TryLockResponse& result) {
        if (!status.ok()) {
          reactor->Finish(api_errors::TryLockFailed(status));
          return;
        }
        response->set_success(result.success());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/TryLockAlpha1");
}

grpc::ServerUnaryReactor* DaprApi::UnlockAlpha1(grpc::CallbackServerContext* call,
                                                const runtimepb::UnlockRequest* request,
                                                runtimepb::UnlockResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/UnlockAlpha1", request->store_name());
  auto target = ResolveLockOrFinish(*context_, call, reactor, *request, std::nullopt,
                                    &api_errors::UnlockFailed);
  if (!target) return reactor;
  lockpb::UnlockRequest unlock;
  unlock.set_resource_id(std::move(target->resource_id));
  unlock.set_lock_owner(request->lock_owner());
  target->store->As<LockStore>()->Unlock(
      std::move(unlock), OptionsFor(call),
      [reactor, response, store = target->store](const grpc::Status& status,
                                                 const lockpb::UnlockResponse& result) {
        if (!status.ok()) {
          reactor->Finish(api_errors::UnlockFailed(status));
          return;
        }
        // The component protocol numbers its statuses exactly as Dapr's response does.
        response->set_status(static_cast<runtimepb::UnlockResponse::Status>(result.status()));
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/UnlockAlpha1");
}

}  // namespace plughost
