#include "host/api/lock_sequencer_keys.h"

#include <catch2/catch.hpp>

#include "host/api/api_errors.h"
#include "host/state/state_keys.h"

namespace plughost {

TEST_CASE("Dapr lock ids: lock||<prefix>||<id>, as daprd builds them") {
  CHECK(*DaprLockKey("myapp", "order-1") == "lock||myapp||order-1");
  CHECK(*DaprLockKey("", "order-1") == "lock||order-1");
  // The prefix comes from the same keyPrefix strategies as state keys.
  CHECK(*DaprLockKey(*StateKeyPrefix({}, "lockstore", "myapp"), "r") == "lock||myapp||r");
  CHECK(*DaprLockKey(*StateKeyPrefix({}, "lockstore", ""), "r") == "lock||r");
  CHECK(*DaprLockKey(*StateKeyPrefix({{"keyPrefix", "none"}}, "lockstore", "myapp"), "r") ==
        "lock||r");
  CHECK(*DaprLockKey(*StateKeyPrefix({{"keyPrefix", "name"}}, "lockstore", "myapp"), "r") ==
        "lock||lockstore||r");
  CHECK(*DaprLockKey(*StateKeyPrefix({{"keyPrefix", "shared"}}, "lockstore", "myapp"), "r") ==
        "lock||shared||r");
  auto refused = DaprLockKey("myapp", "a||b");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message() == "input key/keyPrefix 'a||b' can't contain '||'");
}

TEST_CASE("Layotto lock and sequencer keys: <api>|||<prefix>||<id>") {
  CHECK(*LayottoLockKey("myapp", "r") == "lock|||myapp||r");
  CHECK(*LayottoLockKey("", "r") == "lock|||r");
  CHECK(*LayottoSequencerKey("myapp", "orders") == "sequencer|||myapp||orders");
  CHECK(*LayottoSequencerKey("", "orders") == "sequencer|||orders");
  CHECK_FALSE(LayottoLockKey("", "a||b").ok());
  CHECK_FALSE(LayottoSequencerKey("myapp", "x||").ok());
}

TEST_CASE("lock API errors carry Dapr's codes and messages") {
  auto not_configured = api_errors::LockStoresNotConfigured();
  CHECK(not_configured.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(not_configured.error_message() == "lock store is not configured");
  CHECK(api_errors::LockResourceIdEmpty("ls").error_message() ==
        "ResourceId is empty in lock store ls");
  CHECK(api_errors::LockOwnerEmpty("ls").error_message() == "LockOwner is empty in lock store ls");
  CHECK(api_errors::LockExpiryNotPositive("ls").error_message() ==
        "ExpiryInSeconds is not positive in lock store ls");
  CHECK(api_errors::LockStoreNotFound("ls").error_message() == "lock store ls not found");
  for (const auto& status :
       {api_errors::LockResourceIdEmpty("ls"), api_errors::LockOwnerEmpty("ls"),
        api_errors::LockExpiryNotPositive("ls"), api_errors::LockStoreNotFound("ls")}) {
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  auto failed = api_errors::TryLockFailed(grpc::Status(grpc::StatusCode::UNKNOWN, "boom"));
  CHECK(failed.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(failed.error_message() == "failed to try acquiring lock: boom");
  auto unlock_failed = api_errors::UnlockFailed(grpc::Status(grpc::StatusCode::INTERNAL, "x"));
  CHECK(unlock_failed.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(unlock_failed.error_message() == "failed to release lock: x");
  // A component that is down stays visibly down.
  CHECK(
      api_errors::TryLockFailed(grpc::Status(grpc::StatusCode::UNAVAILABLE, "gone")).error_code() ==
      grpc::StatusCode::UNAVAILABLE);
}

}  // namespace plughost
