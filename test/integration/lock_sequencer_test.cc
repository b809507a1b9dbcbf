// Locks and sequencers through the real host: Dapr's TryLockAlpha1/UnlockAlpha1 and Layotto's
// TryLock/Unlock/GetNextId, against the built-in in-memory components and the pluggable C++
// sample component on a real socket.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
namespace layotto = ::spec::proto::runtime::v1;

// Built-in and pluggable instances of both kinds, plus pluggable locks with each keyPrefix
// strategy (the sample reports the resource id it receives when the owner asks it to).
constexpr char kConfig[] = R"({
  "app_id": "lockapp",
  "components": [
    {"name": "lockstore", "type": "lock.in-memory"},
    {"name": "sequencer", "type": "sequencer.in-memory"},
    {"name": "cpp-lock", "type": "lock.cpp-sample"},
    {"name": "cpp-lock-named", "type": "lock.cpp-sample", "metadata": {"keyPrefix": "name"}},
    {"name": "cpp-lock-raw", "type": "lock.cpp-sample", "metadata": {"keyPrefix": "none"}},
    {"name": "cpp-seq", "type": "sequencer.cpp-sample"}
  ]})";
constexpr char kEchoOwner[] = "__echo_resource_id__";

// Writes `config` into `dir` and returns the host arguments that use it.
std::vector<std::string> ConfigArgs(const TempDir& dir, const std::string& config) {
  WriteFile(dir.File("config.json"), config);
  return {"--config", dir.File("config.json")};
}

struct HostWithSample {
  TempDir dir;
  std::unique_ptr<ChildProcess> sample = StartSampleComponent(dir, "cpp-sample");
  RunningHost host{dir, dir.path(), ConfigArgs(dir, kConfig)};
};

// A host with no lock store and no sequencer at all.
struct HostWithoutLocks {
  TempDir dir;
  RunningHost host{
      dir, dir.path(),
      ConfigArgs(dir, R"({"components": [{"name": "statestore", "type": "state.in-memory"}]})")};
};

grpc::Status DaprTryLock(rt::Dapr::Stub& dapr, const std::string& store,
                         const std::string& resource, const std::string& owner, int32_t expiry,
                         bool* success = nullptr) {
  rt::TryLockRequest request;
  request.set_store_name(store);
  request.set_resource_id(resource);
  request.set_lock_owner(owner);
  request.set_expiry_in_seconds(expiry);
  rt::TryLockResponse response;
  auto status = dapr.TryLockAlpha1(Deadline().get(), request, &response);
  if (success) *success = response.success();
  return status;
}

// True when the lock was taken; fails the test on any RPC error.
bool DaprLocked(rt::Dapr::Stub& dapr, const std::string& store, const std::string& resource,
                const std::string& owner, int32_t expiry = 30) {
  bool success = false;
  auto status = DaprTryLock(dapr, store, resource, owner, expiry, &success);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return success;
}

grpc::Status DaprUnlock(rt::Dapr::Stub& dapr, const std::string& store, const std::string& resource,
                        const std::string& owner, rt::UnlockResponse::Status* result = nullptr) {
  rt::UnlockRequest request;
  request.set_store_name(store);
  request.set_resource_id(resource);
  request.set_lock_owner(owner);
  rt::UnlockResponse response;
  auto status = dapr.UnlockAlpha1(Deadline().get(), request, &response);
  if (result) *result = response.status();
  return status;
}

rt::UnlockResponse::Status DaprUnlocked(rt::Dapr::Stub& dapr, const std::string& store,
                                        const std::string& resource, const std::string& owner) {
  rt::UnlockResponse::Status result = rt::UnlockResponse::INTERNAL_ERROR;
  auto status = DaprUnlock(dapr, store, resource, owner, &result);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return result;
}

grpc::Status LayottoTryLock(layotto::Runtime::Stub& api, const std::string& store,
                            const std::string& resource, const std::string& owner, int32_t expire,
                            bool* success = nullptr) {
  layotto::TryLockRequest request;
  request.set_store_name(store);
  request.set_resource_id(resource);
  request.set_lock_owner(owner);
  request.set_expire(expire);
  layotto::TryLockResponse response;
  auto status = api.TryLock(Deadline().get(), request, &response);
  if (success) *success = response.success();
  return status;
}

grpc::Status LayottoUnlock(layotto::Runtime::Stub& api, const std::string& store,
                           const std::string& resource, const std::string& owner,
                           layotto::UnlockResponse::Status* result = nullptr) {
  layotto::UnlockRequest request;
  request.set_store_name(store);
  request.set_resource_id(resource);
  request.set_lock_owner(owner);
  layotto::UnlockResponse response;
  auto status = api.Unlock(Deadline().get(), request, &response);
  if (result) *result = response.status();
  return status;
}

grpc::Status NextId(layotto::Runtime::Stub& api, const std::string& store, const std::string& key,
                    layotto::SequencerOptions::AutoIncrement increment, int64_t* id) {
  layotto::GetNextIdRequest request;
  request.set_store_name(store);
  request.set_key(key);
  request.mutable_options()->set_increment(increment);
  layotto::GetNextIdResponse response;
  auto status = api.GetNextId(Deadline().get(), request, &response);
  *id = response.next_id();
  return status;
}

int64_t NextIdOk(layotto::Runtime::Stub& api, const std::string& store, const std::string& key,
                 layotto::SequencerOptions::AutoIncrement increment) {
  int64_t id = 0;
  auto status = NextId(api, store, key, increment, &id);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return id;
}

void CheckError(const grpc::Status& status, grpc::StatusCode code, const std::string& message) {
  CHECK(status.error_code() == code);
  CHECK(status.error_message() == message);
}

}  // namespace

TEST_CASE("Dapr lock API: exclusion, owners and unlock statuses", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  for (std::string store : {"lockstore", "cpp-lock"}) {
    DYNAMIC_SECTION("store " << store) {
      CHECK(DaprLocked(dapr, store, "order-1", "alice"));
      CHECK_FALSE(DaprLocked(dapr, store, "order-1", "bob"));
      CHECK_FALSE(DaprLocked(dapr, store, "order-1", "alice"));  // not reentrant
      CHECK(DaprLocked(dapr, store, "order-2", "bob"));          // another resource is free

      CHECK(DaprUnlocked(dapr, store, "order-1", "bob") ==
            rt::UnlockResponse::LOCK_BELONGS_TO_OTHERS);
      CHECK_FALSE(DaprLocked(dapr, store, "order-1", "bob"));  // still alice's
      CHECK(DaprUnlocked(dapr, store, "order-1", "alice") == rt::UnlockResponse::SUCCESS);
      CHECK(DaprUnlocked(dapr, store, "order-1", "alice") ==
            rt::UnlockResponse::LOCK_DOES_NOT_EXIST);
      CHECK(DaprUnlocked(dapr, store, "never-locked", "alice") ==
            rt::UnlockResponse::LOCK_DOES_NOT_EXIST);
      CHECK(DaprLocked(dapr, store, "order-1", "bob"));
    }
  }

  SECTION("instances on one socket do not share locks") {
    REQUIRE(DaprLocked(dapr, "cpp-lock", "shared-name", "alice"));
    CHECK(DaprLocked(dapr, "cpp-lock-named", "shared-name", "bob"));
  }
}

TEST_CASE("Dapr lock API: a lock past its expiry is free", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  std::vector<std::string> stores = {"lockstore", "cpp-lock"};
  for (const auto& store : stores) REQUIRE(DaprLocked(dapr, store, "short", "alice", 1));
  for (const auto& store : stores) CHECK_FALSE(DaprLocked(dapr, store, "short", "bob", 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  for (const auto& store : stores) {
    INFO("store " << store);
    CHECK(DaprLocked(dapr, store, "short", "bob", 30));
    // alice's lock expired and bob holds the resource now.
    CHECK(DaprUnlocked(dapr, store, "short", "alice") ==
          rt::UnlockResponse::LOCK_BELONGS_TO_OTHERS);
    CHECK(DaprUnlocked(dapr, store, "short", "bob") == rt::UnlockResponse::SUCCESS);
  }
}

TEST_CASE("Dapr lock API: every bad request gets Dapr's code and message", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();
  using grpc::StatusCode;

  // TryLock checks the expiry before anything else, then the ids, then the store.
  CheckError(DaprTryLock(dapr, "", "", "", 0), StatusCode::INVALID_ARGUMENT,
             "ExpiryInSeconds is not positive in lock store ");
  CheckError(DaprTryLock(dapr, "lockstore", "r", "alice", -5), StatusCode::INVALID_ARGUMENT,
             "ExpiryInSeconds is not positive in lock store lockstore");
  CheckError(DaprTryLock(dapr, "nope", "", "", 10), StatusCode::INVALID_ARGUMENT,
             "ResourceId is empty in lock store nope");
  CheckError(DaprTryLock(dapr, "nope", "r", "", 10), StatusCode::INVALID_ARGUMENT,
             "LockOwner is empty in lock store nope");
  CheckError(DaprTryLock(dapr, "nope", "r", "alice", 10), StatusCode::INVALID_ARGUMENT,
             "lock store nope not found");
  CheckError(DaprTryLock(dapr, "lockstore", "a||b", "alice", 10), StatusCode::INTERNAL,
             "failed to try acquiring lock: input key/keyPrefix 'a||b' can't contain '||'");

  CheckError(DaprUnlock(dapr, "nope", "", ""), StatusCode::INVALID_ARGUMENT,
             "ResourceId is empty in lock store nope");
  CheckError(DaprUnlock(dapr, "nope", "r", ""), StatusCode::INVALID_ARGUMENT,
             "LockOwner is empty in lock store nope");
  CheckError(DaprUnlock(dapr, "nope", "r", "alice"), StatusCode::INVALID_ARGUMENT,
             "lock store nope not found");
  CheckError(DaprUnlock(dapr, "cpp-lock", "a||b", "alice"), StatusCode::INTERNAL,
             "failed to release lock: input key/keyPrefix 'a||b' can't contain '||'");

  // A component's own failure is a failed lock attempt (INTERNAL), its message kept.
  CheckError(DaprTryLock(dapr, "cpp-lock", "r", kEchoOwner, 10), StatusCode::INTERNAL,
             "failed to try acquiring lock: lock||lockapp||r");

  // Nothing was locked by any refused call.
  CHECK(DaprLocked(dapr, "lockstore", "r", "alice"));
  CHECK(DaprLocked(dapr, "cpp-lock", "r", "alice"));
}

TEST_CASE("lock and sequencer APIs without any such component", "[integration]") {
  HostWithoutLocks env;
  REQUIRE(env.host.started());
  using grpc::StatusCode;
  auto& dapr = env.host.dapr();
  CheckError(DaprTryLock(dapr, "lockstore", "r", "alice", 10), StatusCode::FAILED_PRECONDITION,
             "lock store is not configured");
  // Dapr checks the expiry even before that.
  CheckError(DaprTryLock(dapr, "lockstore", "r", "alice", 0), StatusCode::INVALID_ARGUMENT,
             "ExpiryInSeconds is not positive in lock store lockstore");
  CheckError(DaprUnlock(dapr, "lockstore", "r", "alice"), StatusCode::FAILED_PRECONDITION,
             "lock store is not configured");

  auto& api = env.host.layotto();
  CheckError(LayottoTryLock(api, "lockstore", "", "", 0), StatusCode::FAILED_PRECONDITION,
             "lock store is not configured");
  CheckError(LayottoUnlock(api, "lockstore", "r", "alice"), StatusCode::FAILED_PRECONDITION,
             "lock store is not configured");
  int64_t id = 0;
  CheckError(NextId(api, "sequencer", "", layotto::SequencerOptions::STRONG, &id),
             StatusCode::FAILED_PRECONDITION, "Sequencer store is not configured");
}

TEST_CASE("the embedded defaults serve \"lockstore\" and \"sequencer\"", "[integration]") {
  TempDir dir;
  RunningHost host(dir, dir.path());
  REQUIRE(host.started());
  CHECK(DaprLocked(host.dapr(), "lockstore", "r", "alice"));
  CHECK_FALSE(DaprLocked(host.dapr(), "lockstore", "r", "bob"));
  CHECK(NextIdOk(host.layotto(), "sequencer", "k", layotto::SequencerOptions::STRONG) == 1);
}

TEST_CASE("lock resource ids reach the component namespaced by keyPrefix", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();
  auto& api = env.host.layotto();

  // The sample answers this owner with the resource id exactly as it received it.
  auto echoed = [&](const std::string& store) {
    return DaprTryLock(dapr, store, "res", kEchoOwner, 10).error_message();
  };
  CHECK(echoed("cpp-lock") == "failed to try acquiring lock: lock||lockapp||res");
  CHECK(echoed("cpp-lock-named") == "failed to try acquiring lock: lock||cpp-lock-named||res");
  CHECK(echoed("cpp-lock-raw") == "failed to try acquiring lock: lock||res");

  // Layotto's scheme; the component's code is passed on, the instance named.
  auto layotto_echo = LayottoTryLock(api, "cpp-lock", "res", kEchoOwner, 10);
  CHECK(layotto_echo.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(layotto_echo.error_message() == "lock store cpp-lock: lock|||lockapp||res");
  CHECK(LayottoTryLock(api, "cpp-lock-raw", "res", kEchoOwner, 10).error_message() ==
        "lock store cpp-lock-raw: lock|||res");

  // So a Dapr app and a Layotto app never take each other's locks.
  for (std::string store : {"lockstore", "cpp-lock"}) {
    INFO("store " << store);
    REQUIRE(DaprLocked(dapr, store, "both-apis", "alice"));
    bool success = false;
    REQUIRE(LayottoTryLock(api, store, "both-apis", "bob", 10, &success).ok());
    CHECK(success);
  }
}

TEST_CASE("Layotto lock API: TryLock, Unlock and their errors", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  auto& api = env.host.layotto();
  using grpc::StatusCode;

  for (std::string store : {"lockstore", "cpp-lock"}) {
    DYNAMIC_SECTION("store " << store) {
      bool success = false;
      REQUIRE(LayottoTryLock(api, store, "job", "alice", 30, &success).ok());
      CHECK(success);
      REQUIRE(LayottoTryLock(api, store, "job", "bob", 30, &success).ok());
      CHECK_FALSE(success);
      layotto::UnlockResponse::Status result = layotto::UnlockResponse::INTERNAL_ERROR;
      REQUIRE(LayottoUnlock(api, store, "job", "bob", &result).ok());
      CHECK(result == layotto::UnlockResponse::LOCK_BELONG_TO_OTHERS);
      REQUIRE(LayottoUnlock(api, store, "job", "alice", &result).ok());
      CHECK(result == layotto::UnlockResponse::SUCCESS);
      REQUIRE(LayottoUnlock(api, store, "job", "alice", &result).ok());
      CHECK(result == layotto::UnlockResponse::LOCK_UNEXIST);
      REQUIRE(LayottoTryLock(api, store, "job", "bob", 30, &success).ok());
      CHECK(success);
    }
  }

  SECTION("errors, in Layotto's order and words") {
    CheckError(LayottoTryLock(api, "nope", "", "", 0), StatusCode::INVALID_ARGUMENT,
               "ResourceId is empty in lock store nope");
    CheckError(LayottoTryLock(api, "nope", "r", "", 0), StatusCode::INVALID_ARGUMENT,
               "LockOwner is empty in lock store nope");
    CheckError(LayottoTryLock(api, "nope", "r", "alice", 0), StatusCode::INVALID_ARGUMENT,
               "Expire is not positive in lock store nope");
    CheckError(LayottoTryLock(api, "lockstore", "r", "alice", -1), StatusCode::INVALID_ARGUMENT,
               "Expire is not positive in lock store lockstore");
    CheckError(LayottoTryLock(api, "nope", "r", "alice", 5), StatusCode::INVALID_ARGUMENT,
               "lock store nope not found");
    CheckError(LayottoTryLock(api, "lockstore", "a||b", "alice", 5), StatusCode::INVALID_ARGUMENT,
               "input key/keyPrefix 'a||b' can't contain '||'");
    CheckError(LayottoUnlock(api, "nope", "", "alice"), StatusCode::INVALID_ARGUMENT,
               "ResourceId is empty in lock store nope");
    CheckError(LayottoUnlock(api, "nope", "r", ""), StatusCode::INVALID_ARGUMENT,
               "LockOwner is empty in lock store nope");
    CheckError(LayottoUnlock(api, "nope", "r", "alice"), StatusCode::INVALID_ARGUMENT,
               "lock store nope not found");
  }
}

TEST_CASE("Layotto GetNextId: increasing ids per key, and its errors", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  auto& api = env.host.layotto();
  using grpc::StatusCode;

  for (std::string store : {"sequencer", "cpp-seq"}) {
    DYNAMIC_SECTION("store " << store) {
      CHECK(NextIdOk(api, store, "orders", layotto::SequencerOptions::STRONG) == 1);
      CHECK(NextIdOk(api, store, "orders", layotto::SequencerOptions::STRONG) == 2);
      CHECK(NextIdOk(api, store, "users", layotto::SequencerOptions::STRONG) == 1);
      // WEAK only promises growth.
      int64_t weak = NextIdOk(api, store, "orders", layotto::SequencerOptions::WEAK);
      CHECK(weak > 2);
      CHECK(NextIdOk(api, store, "orders", layotto::SequencerOptions::WEAK) > weak);
      // No options at all means WEAK.
      layotto::GetNextIdRequest bare;
      bare.set_store_name(store);
      bare.set_key("users");
      layotto::GetNextIdResponse response;
      REQUIRE(api.GetNextId(Deadline().get(), bare, &response).ok());
      CHECK(response.next_id() > 1);
    }
  }

  SECTION("errors") {
    int64_t id = 0;
    CheckError(NextId(api, "nope", "", layotto::SequencerOptions::WEAK, &id),
               StatusCode::INVALID_ARGUMENT, "Key is empty in sequencer store nope");
    CheckError(NextId(api, "nope", "k", layotto::SequencerOptions::WEAK, &id),
               StatusCode::INVALID_ARGUMENT, "Sequencer store nope not found");
    CheckError(NextId(api, "sequencer", "a||b", layotto::SequencerOptions::WEAK, &id),
               StatusCode::INVALID_ARGUMENT, "input key/keyPrefix 'a||b' can't contain '||'");
    CheckError(NextId(api, "sequencer", "k",
                      static_cast<layotto::SequencerOptions::AutoIncrement>(7), &id),
               StatusCode::INVALID_ARGUMENT, "Options.Increment is illegal.");
    // None of those used up an id.
    CHECK(NextIdOk(api, "sequencer", "k", layotto::SequencerOptions::STRONG) == 1);
  }
}

TEST_CASE("sequencer ids stay unique and ordered under 8 concurrent callers", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  constexpr int kCallers = 8;
  constexpr int kCalls = 50;

  for (std::string store : {"sequencer", "cpp-seq"}) {
    for (auto increment : {layotto::SequencerOptions::STRONG, layotto::SequencerOptions::WEAK}) {
      DYNAMIC_SECTION("store " << store << (increment ? " STRONG" : " WEAK")) {
        std::vector<std::vector<int64_t>> seen(kCallers);
        std::atomic<int> failures{0};
        std::vector<std::thread> callers;
        for (int c = 0; c < kCallers; ++c) {
          callers.emplace_back([&, c] {
            // Each caller has its own connection, so the calls really overlap in the host.
            grpc::ChannelArguments args;
            args.SetInt("caller", c);
            auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(env.host.port()),
                                                     grpc::InsecureChannelCredentials(), args);
            auto api = layotto::Runtime::NewStub(channel);
            for (int i = 0; i < kCalls; ++i) {
              int64_t id = 0;
              if (NextId(*api, store, "concurrent", increment, &id).ok()) {
                seen[c].push_back(id);
              } else {
                failures++;
              }
            }
          });
        }
        for (auto& caller : callers) caller.join();
        REQUIRE(failures.load() == 0);
        std::vector<int64_t> all;
        for (const auto& ids : seen) {
          REQUIRE(ids.size() == kCalls);
          // Each caller's own ids strictly increase.
          CHECK(std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<>()) == ids.end());
          all.insert(all.end(), ids.begin(), ids.end());
        }
        std::sort(all.begin(), all.end());
        CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());  // all distinct
        if (increment == layotto::SequencerOptions::STRONG) {
          std::vector<int64_t> expected(kCallers * kCalls);
          for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<int64_t>(i) + 1;
          CHECK(all == expected);
        }
      }
    }
  }
}

TEST_CASE("concurrent lock callers through the host never hold a lock together", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  constexpr int kCallers = 8;
  constexpr int kAttempts = 30;

  for (std::string store : {"lockstore", "cpp-lock"}) {
    DYNAMIC_SECTION("store " << store) {
      std::atomic<int> holders{0};
      std::atomic<int> overlaps{0};
      std::atomic<int> acquired{0};
      std::atomic<int> errors{0};
      std::vector<std::thread> callers;
      for (int c = 0; c < kCallers; ++c) {
        callers.emplace_back([&, c] {
          auto dapr = rt::Dapr::NewStub(env.host.channel());
          std::string owner = "owner-" + std::to_string(c);
          for (int i = 0; i < kAttempts; ++i) {
            bool success = false;
            if (!DaprTryLock(*dapr, store, "hot", owner, 30, &success).ok()) {
              errors++;
              continue;
            }
            if (!success) continue;
            if (holders.fetch_add(1) != 0) overlaps++;
            acquired++;
            holders.fetch_sub(1);
            rt::UnlockResponse::Status result = rt::UnlockResponse::INTERNAL_ERROR;
            if (!DaprUnlock(*dapr, store, "hot", owner, &result).ok() ||
                result != rt::UnlockResponse::SUCCESS) {
              errors++;
            }
          }
        });
      }
      for (auto& caller : callers) caller.join();
      CHECK(errors.load() == 0);
      CHECK(overlaps.load() == 0);
      CHECK(acquired.load() > 0);
    }
  }
}

}  // namespace plughost::testing
