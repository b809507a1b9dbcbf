#include "host/builtins/in_memory_lock_store.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace plughost {
namespace {

using std::chrono::seconds;
using UnlockStatus = lockpb::UnlockResponse::Status;

// A clock the test moves by hand, so expiry needs no sleeping.
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  InMemoryLockStore::Clock AsClock() {
    return [this] { return now; };
  }
};

// The store answers synchronously; each helper also checks that `done` ran exactly once.
grpc::Status TryLockStatus(InMemoryLockStore& store, const std::string& resource,
                           const std::string& owner, int32_t expiry, bool* success) {
  lockpb::TryLockRequest request;
  request.set_resource_id(resource);
  request.set_lock_owner(owner);
  request.set_expiry_in_seconds(expiry);
  int calls = 0;
  grpc::Status result;
  store.TryLock(request, CallOptions{}, [&](grpc::Status status, lockpb::TryLockResponse response) {
    ++calls;
    result = status;
    *success = response.success();
  });
  REQUIRE(calls == 1);
  return result;
}

bool TryLock(InMemoryLockStore& store, const std::string& resource, const std::string& owner,
             int32_t expiry = 10) {
  bool success = false;
  auto status = TryLockStatus(store, resource, owner, expiry, &success);
  REQUIRE(status.ok());
  return success;
}

UnlockStatus Unlock(InMemoryLockStore& store, const std::string& resource,
                    const std::string& owner) {
  lockpb::UnlockRequest request;
  request.set_resource_id(resource);
  request.set_lock_owner(owner);
  int calls = 0;
  UnlockStatus result = lockpb::UnlockResponse::INTERNAL_ERROR;
  store.Unlock(request, CallOptions{}, [&](grpc::Status status, lockpb::UnlockResponse response) {
    ++calls;
    REQUIRE(status.ok());
    result = response.status();
  });
  REQUIRE(calls == 1);
  return result;
}

}  // namespace

TEST_CASE("in-memory lock: one holder at a time, not reentrant") {
  InMemoryLockStore store;
  CHECK(TryLock(store, "r", "alice"));
  CHECK_FALSE(TryLock(store, "r", "bob"));
  CHECK_FALSE(TryLock(store, "r", "alice"));  // the holder too: not reentrant
  CHECK(TryLock(store, "other", "bob"));      // resources are independent
  CHECK(Unlock(store, "r", "alice") == lockpb::UnlockResponse::SUCCESS);
  CHECK(TryLock(store, "r", "bob"));
}

TEST_CASE("in-memory lock: unlock statuses and owner checks") {
  InMemoryLockStore store;
  CHECK(Unlock(store, "r", "alice") == lockpb::UnlockResponse::LOCK_DOES_NOT_EXIST);
  REQUIRE(TryLock(store, "r", "alice"));
  CHECK(Unlock(store, "r", "bob") == lockpb::UnlockResponse::LOCK_BELONGS_TO_OTHERS);
  // A refused unlock leaves the lock with its owner.
  CHECK_FALSE(TryLock(store, "r", "bob"));
  CHECK(Unlock(store, "r", "alice") == lockpb::UnlockResponse::SUCCESS);
  CHECK(Unlock(store, "r", "alice") == lockpb::UnlockResponse::LOCK_DOES_NOT_EXIST);
}

TEST_CASE("in-memory lock: a lock past its expiry is free") {
  FakeClock clock;
  InMemoryLockStore store(clock.AsClock());
  REQUIRE(TryLock(store, "r", "alice", /*expiry=*/10));
  REQUIRE(TryLock(store, "s", "alice", /*expiry=*/100));
  clock.now += seconds(9);
  CHECK_FALSE(TryLock(store, "r", "bob"));
  clock.now += seconds(1);  // exactly the expiry: the lock has run its time
  CHECK(TryLock(store, "r", "bob", /*expiry=*/10));
  // The first owner lost it: unlocking reports the new owner's lock.
  CHECK(Unlock(store, "r", "alice") == lockpb::UnlockResponse::LOCK_BELONGS_TO_OTHERS);
  CHECK_FALSE(TryLock(store, "s", "bob"));  // a longer expiry still holds

  clock.now += seconds(10);
  // Expired and not taken again: there is nothing to unlock.
  CHECK(Unlock(store, "r", "bob") == lockpb::UnlockResponse::LOCK_DOES_NOT_EXIST);
  CHECK(Unlock(store, "s", "alice") == lockpb::UnlockResponse::SUCCESS);
}

TEST_CASE("in-memory lock: re-locking after expiry gets a fresh expiry") {
  FakeClock clock;
  InMemoryLockStore store(clock.AsClock());
  REQUIRE(TryLock(store, "r", "alice", 5));
  clock.now += seconds(6);
  REQUIRE(TryLock(store, "r", "alice", 5));  // free again, so its old holder may take it anew
  clock.now += seconds(4);
  CHECK_FALSE(TryLock(store, "r", "bob"));
  clock.now += seconds(1);
  CHECK(TryLock(store, "r", "bob"));
}

TEST_CASE("in-memory lock: refuses what it cannot honour") {
  InMemoryLockStore store;
  bool success = true;
  CHECK(TryLockStatus(store, "r", "alice", 0, &success).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(TryLockStatus(store, "r", "alice", -3, &success).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(TryLockStatus(store, "", "alice", 5, &success).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(TryLockStatus(store, "r", "", 5, &success).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(TryLock(store, "r", "alice"));  // nothing was taken by the refused calls
}

TEST_CASE("in-memory lock: concurrent callers never hold a resource together") {
  InMemoryLockStore store;
  constexpr int kThreads = 8;
  constexpr int kAttempts = 2000;
  std::atomic<int> holders{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> acquired{0};
  std::atomic<int> bad_unlocks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string owner = "owner-" + std::to_string(t);
      for (int i = 0; i < kAttempts; ++i) {
        lockpb::TryLockRequest request;
        request.set_resource_id("shared");
        request.set_lock_owner(owner);
        request.set_expiry_in_seconds(60);
        bool got = false;
        store.TryLock(request, CallOptions{},
                      [&](grpc::Status status, lockpb::TryLockResponse response) {
                        got = status.ok() && response.success();
                      });
        if (!got) continue;
        if (holders.fetch_add(1) != 0) overlaps.fetch_add(1);
        acquired.fetch_add(1);
        holders.fetch_sub(1);
        lockpb::UnlockRequest unlock;
        unlock.set_resource_id("shared");
        unlock.set_lock_owner(owner);
        store.Unlock(unlock, CallOptions{}, [&](grpc::Status status, lockpb::UnlockResponse r) {
          if (!status.ok() || r.status() != lockpb::UnlockResponse::SUCCESS) bad_unlocks++;
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(overlaps.load() == 0);
  CHECK(bad_unlocks.load() == 0);  // whoever got the lock still held it when unlocking
  CHECK(acquired.load() > 0);
}

}  // namespace plughost
