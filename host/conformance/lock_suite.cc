// Conformance cases for lock stores (plughost.components.v1.Lock).
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "host/components/lock_store.h"
#include "host/conformance/await.h"
#include "host/conformance/suite.h"

namespace plughost::conformance {
namespace {

using Clock = std::chrono::steady_clock;
using UnlockStatus = lockpb::UnlockResponse::Status;

constexpr int kExpirySeconds = 10;

std::string StatusName(UnlockStatus status) { return lockpb::UnlockResponse::Status_Name(status); }

class LockCases {
 public:
  LockCases(Suite& suite, LockStore& store) : suite_(suite), store_(store) {}

  void RunAll() {
    suite_.Run("exclusion", [&] { return Exclusion(); });
    suite_.Run("unlock-wrong-owner", [&] { return UnlockWrongOwner(); });
    suite_.Run("unlock-then-relock", [&] { return UnlockThenRelock(); });
    suite_.Run("unlock-missing", [&] { return UnlockMissing(); });
    suite_.Run("expiry", [&] { return Expiry(); });
  }

 private:
  Reply<lockpb::TryLockResponse> TryLock(const std::string& resource, const std::string& owner,
                                         int expiry_seconds = kExpirySeconds) {
    lockpb::TryLockRequest request;
    request.set_resource_id(resource);
    request.set_lock_owner(owner);
    request.set_expiry_in_seconds(expiry_seconds);
    return Await<lockpb::TryLockResponse>([&](Callback<lockpb::TryLockResponse> done) {
      store_.TryLock(std::move(request), KitCallOptions(), std::move(done));
    });
  }

  Reply<lockpb::UnlockResponse> Unlock(const std::string& resource, const std::string& owner) {
    lockpb::UnlockRequest request;
    request.set_resource_id(resource);
    request.set_lock_owner(owner);
    return Await<lockpb::UnlockResponse>([&](Callback<lockpb::UnlockResponse> done) {
      store_.Unlock(std::move(request), KitCallOptions(), std::move(done));
    });
  }

  // Takes `resource` for `owner`; empty, or what went wrong.
  std::string Take(const std::string& resource, const std::string& owner,
                   int expiry_seconds = kExpirySeconds) {
    auto reply = TryLock(resource, owner, expiry_seconds);
    if (!reply.status.ok()) {
      return fmt::format("TryLock of a free resource should answer OK, got {}",
                         Describe(reply.status));
    }
    if (!reply.value.success()) return "TryLock of a free resource answered success=false";
    return {};
  }

  // Unlocks and expects `want`; empty, or what went wrong.
  std::string ExpectUnlock(const std::string& resource, const std::string& owner, UnlockStatus want,
                           std::string_view situation) {
    auto reply = Unlock(resource, owner);
    if (!reply.status.ok()) {
      return fmt::format("Unlock {} should answer OK with status {}, got {}", situation,
                         StatusName(want), Describe(reply.status));
    }
    if (reply.value.status() != want) {
      return fmt::format("Unlock {} should answer {}, got {}", situation, StatusName(want),
                         StatusName(reply.value.status()));
    }
    return {};
  }

  CaseResult Exclusion() {
    std::string resource = suite_.UniqueName("exclusion");
    if (auto error = Take(resource, "owner-1"); !error.empty()) return Fail(error);
    auto other = TryLock(resource, "owner-2");
    ExpectUnlock(resource, "owner-1", lockpb::UnlockResponse::SUCCESS, "");
    if (!other.status.ok()) {
      return Fail("TryLock of a held resource should answer OK with success=false at once, got " +
                  Describe(other.status));
    }
    if (other.value.success()) return Fail("a second owner got a lock another owner holds");
    return Pass();
  }

  CaseResult UnlockWrongOwner() {
    std::string resource = suite_.UniqueName("wrong-owner");
    if (auto error = Take(resource, "owner-1"); !error.empty()) return Fail(error);
    std::string error =
        ExpectUnlock(resource, "owner-2", lockpb::UnlockResponse::LOCK_BELONGS_TO_OTHERS,
                     "by an owner who does not hold the lock");
    // The lock must have survived the attempt.
    std::string held = ExpectUnlock(resource, "owner-1", lockpb::UnlockResponse::SUCCESS,
                                    "by the holder after another owner's attempt");
    if (!error.empty()) return Fail(error);
    if (!held.empty()) return Fail(held);
    return Pass();
  }

  CaseResult UnlockThenRelock() {
    std::string resource = suite_.UniqueName("relock");
    if (auto error = Take(resource, "owner-1"); !error.empty()) return Fail(error);
    if (auto error =
            ExpectUnlock(resource, "owner-1", lockpb::UnlockResponse::SUCCESS, "by the holder");
        !error.empty()) {
      return Fail(error);
    }
    if (auto error = Take(resource, "owner-2"); !error.empty()) {
      return Fail("after the holder unlocked, another owner: " + error);
    }
    ExpectUnlock(resource, "owner-2", lockpb::UnlockResponse::SUCCESS, "");
    return Pass();
  }

  CaseResult UnlockMissing() {
    if (auto error =
            ExpectUnlock(suite_.UniqueName("never-locked"), "owner-1",
                         lockpb::UnlockResponse::LOCK_DOES_NOT_EXIST, "of a resource never locked");
        !error.empty()) {
      return Fail(error);
    }
    return Pass();
  }

  CaseResult Expiry() {
    std::string resource = suite_.UniqueName("expiry");
    auto taken = Clock::now();
    if (auto error = Take(resource, "owner-1", 1); !error.empty()) return Fail(error);
    // Free again two seconds later; a store counting whole seconds gets one more.
    std::this_thread::sleep_until(taken + std::chrono::seconds(2));
    while (true) {
      auto reply = TryLock(resource, "owner-2");
      if (!reply.status.ok()) {
        return Fail("TryLock after expiry should answer OK, got " + Describe(reply.status));
      }
      if (reply.value.success()) break;
      if (Clock::now() - taken > std::chrono::seconds(3)) {
        return Fail("a lock taken with expiry_in_seconds=1 was still held 3 s later");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ExpectUnlock(resource, "owner-2", lockpb::UnlockResponse::SUCCESS, "");
    return Pass();
  }

  Suite& suite_;
  LockStore& store_;
};

}  // namespace

void RunLockSuite(const SuiteContext& context) {
  Suite suite(context, "lock");
  auto store = suite.InitCase<LockStore>("init", "a");
  if (!store) return;
  suite.FeaturesCase();
  LockCases(suite, *store).RunAll();
  suite.PingCase(*store);
}

}  // namespace plughost::conformance
