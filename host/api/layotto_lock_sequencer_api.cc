// Lock and sequencer handlers of the Layotto API (TryLock, Unlock, GetNextId): Layotto's checks
// in Layotto's order and words, ids namespaced as lock_sequencer_keys.h describes, one call to
// the named component. Ids that Layotto refuses with an untyped error (a "||" in an id, an
// unknown increment) get INVALID_ARGUMENT here.
#include <fmt/format.h>

#include <optional>

#include "host/api/api_errors.h"
#include "host/api/layotto_api.h"
#include "host/api/lock_sequencer_keys.h"
#include "host/api/lock_target.h"
#include "host/components/lock_store.h"
#include "host/components/sequencer.h"

namespace plughost {
namespace {

grpc::Status InvalidArgument(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

// Layotto's own wording where it differs from Dapr's.
grpc::Status ExpireNotPositive(std::string_view store) {
  return InvalidArgument(fmt::format("Expire is not positive in lock store {}", store));
}
grpc::Status SequencersNotConfigured() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "Sequencer store is not configured");
}
grpc::Status SequencerKeyEmpty(std::string_view store) {
  return InvalidArgument(fmt::format("Key is empty in sequencer store {}", store));
}
grpc::Status SequencerNotFound(std::string_view store) {
  return InvalidArgument(fmt::format("Sequencer store {} not found", store));
}

// A component's failure, with its code and the instance named.
grpc::Status ComponentFailed(std::string_view what, const InstanceInfo& instance,
                             const grpc::Status& cause) {
  return grpc::Status(cause.error_code(),
                      fmt::format("{} {}: {}", what, instance.name, cause.error_message()));
}

CallOptions OptionsFor(const ApiContext& context, grpc::CallbackServerContext* call) {
  CallOptions options;
  options.app_call = call;
  options.default_timeout = context.component_timeout;
  return options;
}

// Layotto checks, in order: any lock store at all, a resource id, an owner, a positive expiry
// (TryLock only), then the named store.
template <typename Request>
InstancePtr ResolveLockStore(const ApiContext& context, grpc::CallbackServerContext* call,
                             const Request& request, std::optional<int32_t> expire,
                             grpc::Status* error) {
  const std::string& store = request.store_name();
  if (auto status = Authorize(context, call); !status.ok()) {
    *error = status;
  } else if (!context.instances->HasKind(ComponentKind::kLock)) {
    *error = api_errors::LockStoresNotConfigured();
  } else if (request.resource_id().empty()) {
    *error = api_errors::LockResourceIdEmpty(store);
  } else if (request.lock_owner().empty()) {
    *error = api_errors::LockOwnerEmpty(store);
  } else if (expire && *expire <= 0) {
    *error = ExpireNotPositive(store);
  } else if (!context.instances->Find(ComponentKind::kLock, store)) {
    *error = api_errors::LockStoreNotFound(store);
  } else {
    return ResolveInstance(context, call, ComponentKind::kLock, store, error);
  }
  return nullptr;
}

// The lock store a request names and its key for the resource id, or nullopt once `reactor` is
// finished with the error.
template <typename Request>
std::optional<LockTarget> ResolveLockOrFinish(const ApiContext& context,
                                              grpc::CallbackServerContext* call,
                                              MeteredUnaryReactor* reactor, const Request& request,
                                              std::optional<int32_t> expire) {
  grpc::Status error;
  auto store = ResolveLockStore(context, call, request, expire, &error);
  return LockTargetOrFinish(
      reactor, std::move(store), error, request.resource_id(), &LayottoLockKey,
      [](const absl::Status& refused) { return InvalidArgument(std::string(refused.message())); });
}

layottopb::UnlockResponse::Status ToLayottoStatus(lockpb::UnlockResponse::Status status) {
  switch (status) {
    case lockpb::UnlockResponse::SUCCESS:
      return layottopb::UnlockResponse::SUCCESS;
    case lockpb::UnlockResponse::LOCK_DOES_NOT_EXIST:
      return layottopb::UnlockResponse::LOCK_UNEXIST;
    case lockpb::UnlockResponse::LOCK_BELONGS_TO_OTHERS:
      return layottopb::UnlockResponse::LOCK_BELONG_TO_OTHERS;
    default:
      return layottopb::UnlockResponse::INTERNAL_ERROR;
  }
}

}  // namespace

grpc::ServerUnaryReactor* LayottoApi::TryLock(grpc::CallbackServerContext* call,
                                              const layottopb::TryLockRequest* request,
                                              layottopb::TryLockResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Runtime/TryLock", request->store_name());
  auto target = ResolveLockOrFinish(*context_, call, reactor, *request, request->expire());
  if (!target) return reactor;
  lockpb::TryLockRequest try_lock;
  try_lock.set_resource_id(std::move(target->resource_id));
  try_lock.set_lock_owner(request->lock_owner());
  try_lock.set_expiry_in_seconds(request->expire());
  target->store->As<LockStore>()->TryLock(
      std::move(try_lock), OptionsFor(*context_, call),
      [reactor, response, store = target->store](const grpc::Status& status,
                                                 const lockpb::TryLockResponse& result) {
        if (!status.ok()) {
          reactor->Finish(ComponentFailed("lock store", *store, status));
          return;
        }
        response->set_success(result.success());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Runtime/TryLock");
}

grpc::ServerUnaryReactor* LayottoApi::Unlock(grpc::CallbackServerContext* call,
                                             const layottopb::UnlockRequest* request,
                                             layottopb::UnlockResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Runtime/Unlock", request->store_name());
  // Every failure also reports INTERNAL_ERROR, as Layotto does (clients that read the body of a
  // failed call see it; gRPC itself sends only the status).
  response->set_status(layottopb::UnlockResponse::INTERNAL_ERROR);
  auto target = ResolveLockOrFinish(*context_, call, reactor, *request, std::nullopt);
  if (!target) return reactor;
  lockpb::UnlockRequest unlock;
  unlock.set_resource_id(std::move(target->resource_id));
  unlock.set_lock_owner(request->lock_owner());
  target->store->As<LockStore>()->Unlock(
      std::move(unlock), OptionsFor(*context_, call),
      [reactor, response, store = target->store](const grpc::Status& status,
                                                 const lockpb::UnlockResponse& result) {
        if (!status.ok()) {
          reactor->Finish(ComponentFailed("lock store", *store, status));
          return;
        }
        response->set_status(ToLayottoStatus(result.status()));
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Runtime/Unlock");
}

grpc::ServerUnaryReactor* LayottoApi::GetNextId(grpc::CallbackServerContext* call,
                                                const layottopb::GetNextIdRequest* request,
                                                layottopb::GetNextIdResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Runtime/GetNextId", request->store_name());
  const std::string& store_name = request->store_name();
  // Layotto's order: any sequencer at all, a key, a known increment, a legal key, the store.
  grpc::Status error = Authorize(*context_, call);
  if (!error.ok()) {
    reactor->Finish(error);
    return reactor;
  }
  if (!context_->instances->HasKind(ComponentKind::kSequencer)) {
    reactor->Finish(SequencersNotConfigured());
    return reactor;
  }
  if (request->key().empty()) {
    reactor->Finish(SequencerKeyEmpty(store_name));
    return reactor;
  }
  // A missing options message means WEAK, Layotto's default (and the enum's zero value).
  auto increment = request->options().increment();
  if (increment != layottopb::SequencerOptions::WEAK &&
      increment != layottopb::SequencerOptions::STRONG) {
    reactor->Finish(InvalidArgument("Options.Increment is illegal."));
    return reactor;
  }
  // Namespaced once the store's prefix is known; the "||" check comes first, as in Layotto.
  if (auto legal = LayottoSequencerKey("", request->key()); !legal.ok()) {
    reactor->Finish(InvalidArgument(std::string(legal.status().message())));
    return reactor;
  }
  if (!context_->instances->Find(ComponentKind::kSequencer, store_name)) {
    reactor->Finish(SequencerNotFound(store_name));
    return reactor;
  }
  auto store = ResolveOrFinish(*context_, call, reactor, ComponentKind::kSequencer, store_name);
  if (!store) return reactor;
  sequencerpb::GetNextIdRequest next;
  // Cannot fail: the key was checked above and a prefix never holds "||" (checked at startup).
  next.set_key(*LayottoSequencerKey(store->key_prefix, request->key()));
  next.set_increment(increment == layottopb::SequencerOptions::STRONG
                         ? sequencerpb::GetNextIdRequest::STRONG
                         : sequencerpb::GetNextIdRequest::WEAK);
  next.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  store->As<Sequencer>()->GetNextId(
      std::move(next), OptionsFor(*context_, call),
      [reactor, response, store](const grpc::Status& status,
                                 const sequencerpb::GetNextIdResponse& result) {
        if (!status.ok()) {
          reactor->Finish(ComponentFailed("sequencer", *store, status));
          return;
        }
        response->set_next_id(result.next_id());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Runtime/GetNextId");
}

}  // namespace plughost
