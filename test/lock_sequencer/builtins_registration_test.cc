#include <catch2/catch.hpp>
#include <memory>

#include "host/builtins/builtins.h"
#include "host/components/lock_store.h"
#include "host/components/sequencer.h"

namespace plughost {

TEST_CASE("RegisterBuiltins offers lock.in-memory and sequencer.in-memory", "[builtins]") {
  FactoryRegistry::Builder builder;
  REQUIRE(RegisterBuiltins(builder).ok());
  FactoryRegistry registry = std::move(builder).Build();

  const ComponentFactory* lock_factory = registry.Find(ComponentKind::kLock, "lock.in-memory");
  REQUIRE(lock_factory != nullptr);
  CHECK(lock_factory->source() == "built-in");
  const ComponentFactory* sequencer_factory =
      registry.Find(ComponentKind::kSequencer, "sequencer.in-memory");
  REQUIRE(sequencer_factory != nullptr);

  // Each instance has its own state.
  auto first = std::static_pointer_cast<LockStore>(lock_factory->Create("a"));
  auto second = std::static_pointer_cast<LockStore>(lock_factory->Create("b"));
  lockpb::TryLockRequest request;
  request.set_resource_id("r");
  request.set_lock_owner("alice");
  request.set_expiry_in_seconds(10);
  int taken = 0;
  auto count = [&](grpc::Status status, lockpb::TryLockResponse response) {
    taken += status.ok() && response.success();
  };
  first->TryLock(request, CallOptions{}, count);
  second->TryLock(request, CallOptions{}, count);
  CHECK(taken == 2);

  auto sequencer = std::static_pointer_cast<Sequencer>(sequencer_factory->Create("s"));
  sequencerpb::GetNextIdRequest next;
  next.set_key("k");
  int64_t id = 0;
  sequencer->GetNextId(next, CallOptions{},
                       [&](grpc::Status, sequencerpb::GetNextIdResponse r) { id = r.next_id(); });
  CHECK(id == 1);
}

}  // namespace plughost
