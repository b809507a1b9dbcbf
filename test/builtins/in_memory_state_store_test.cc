#include "host/builtins/in_memory_state_store.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "host/components/state_errors.h"

namespace plughost {
namespace {

using std::chrono::seconds;
using Concurrency = statepb::StateOptions::StateConcurrency;

// A clock the test moves by hand, so TTL expiry needs no sleeping.
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  InMemoryStateStore::Clock AsClock() {
    return [this] { return now; };
  }
};

// The store answers synchronously; each helper also checks that `done` ran exactly once.
statepb::GetResponse Get(InMemoryStateStore& store, const std::string& key) {
  statepb::GetRequest request;
  request.set_key(key);
  int calls = 0;
  statepb::GetResponse result;
  store.Get(request, CallOptions{}, [&](grpc::Status status, statepb::GetResponse response) {
    ++calls;
    CHECK(status.ok());
    result = std::move(response);
  });
  REQUIRE(calls == 1);
  return result;
}

statepb::SetRequest SetRequest(
    const std::string& key, const std::string& value, const std::string& etag = "",
    Concurrency concurrency = statepb::StateOptions::CONCURRENCY_UNSPECIFIED) {
  statepb::SetRequest request;
  request.set_key(key);
  request.set_value(value);
  if (!etag.empty()) request.mutable_etag()->set_value(etag);
  request.mutable_options()->set_concurrency(concurrency);
  return request;
}

statepb::DeleteRequest DeleteRequest(
    const std::string& key, const std::string& etag = "",
    Concurrency concurrency = statepb::StateOptions::CONCURRENCY_UNSPECIFIED) {
  statepb::DeleteRequest request;
  request.set_key(key);
  if (!etag.empty()) request.mutable_etag()->set_value(etag);
  request.mutable_options()->set_concurrency(concurrency);
  return request;
}

template <typename Method, typename Request>
grpc::Status Call(InMemoryStateStore& store, Method method, Request request) {
  int calls = 0;
  grpc::Status result;
  (store.*method)(std::move(request), CallOptions{}, [&](grpc::Status status) {
    ++calls;
    result = std::move(status);
  });
  REQUIRE(calls == 1);
  return result;
}

grpc::Status Set(InMemoryStateStore& store, statepb::SetRequest request) {
  return Call(store, &InMemoryStateStore::Set, std::move(request));
}
grpc::Status Delete(InMemoryStateStore& store, statepb::DeleteRequest request) {
  return Call(store, &InMemoryStateStore::Delete, std::move(request));
}
grpc::Status BulkSet(InMemoryStateStore& store, statepb::BulkSetRequest request) {
  return Call(store, &InMemoryStateStore::BulkSet, std::move(request));
}
grpc::Status BulkDelete(InMemoryStateStore& store, statepb::BulkDeleteRequest request) {
  return Call(store, &InMemoryStateStore::BulkDelete, std::move(request));
}
grpc::Status Transact(InMemoryStateStore& store, statepb::TransactionalStateRequest request) {
  return Call(store, &InMemoryStateStore::Transact, std::move(request));
}

std::string ETagOf(InMemoryStateStore& store, const std::string& key) {
  statepb::GetResponse response = Get(store, key);
  REQUIRE(response.has_etag());
  return response.etag().value();
}

bool Exists(InMemoryStateStore& store, const std::string& key) {
  return Get(store, key).has_etag();
}

statepb::SetRequest WithTtl(statepb::SetRequest request, const std::string& ttl) {
  (*request.mutable_metadata())["ttlInSeconds"] = ttl;
  return request;
}

TEST_CASE("in-memory store: set, get and delete", "[state]") {
  InMemoryStateStore store;

  SECTION("a missing key reads as OK with no data and no etag") {
    statepb::GetResponse response = Get(store, "nope");
    CHECK(response.data().empty());
    CHECK_FALSE(response.has_etag());
    CHECK(response.metadata().empty());
  }

  SECTION("set then get returns the value, content type and a decimal etag") {
    statepb::SetRequest request = SetRequest("k", std::string("v\0x", 3));
    request.set_content_type("application/json");
    REQUIRE(Set(store, request).ok());
    statepb::GetResponse response = Get(store, "k");
    CHECK(response.data() == std::string("v\0x", 3));
    CHECK(response.content_type() == "application/json");
    REQUIRE(response.has_etag());
    const std::string& etag = response.etag().value();
    CHECK_FALSE(etag.empty());
    CHECK(std::all_of(etag.begin(), etag.end(), [](char c) { return c >= '0' && c <= '9'; }));
    CHECK(response.metadata().count("ttlExpireTime") == 0);
  }

  SECTION("every write assigns a new etag") {
    REQUIRE(Set(store, SetRequest("k", "1")).ok());
    std::string first = ETagOf(store, "k");
    REQUIRE(Set(store, SetRequest("k", "2")).ok());
    std::string second = ETagOf(store, "k");
    CHECK(first != second);
    CHECK(Get(store, "k").data() == "2");
    // A key deleted and written again never reuses an old etag.
    REQUIRE(Delete(store, DeleteRequest("k")).ok());
    REQUIRE(Set(store, SetRequest("k", "3")).ok());
    CHECK(ETagOf(store, "k") != first);
    CHECK(ETagOf(store, "k") != second);
  }

  SECTION("delete removes the key; deleting a missing key without etag is OK") {
    REQUIRE(Set(store, SetRequest("k", "v")).ok());
    REQUIRE(Delete(store, DeleteRequest("k")).ok());
    CHECK_FALSE(Exists(store, "k"));
    CHECK(Delete(store, DeleteRequest("k")).ok());
    CHECK(Delete(store, DeleteRequest("never-there")).ok());
  }
}

TEST_CASE("in-memory store: etags on set", "[state][etag]") {
  InMemoryStateStore store;
  REQUIRE(Set(store, SetRequest("k", "original")).ok());
  std::string etag = ETagOf(store, "k");

  SECTION("the current etag allows the write and yields a new etag") {
    REQUIRE(Set(store, SetRequest("k", "updated", etag)).ok());
    CHECK(Get(store, "k").data() == "updated");
    CHECK(ETagOf(store, "k") != etag);
    // The old etag is now stale.
    grpc::Status stale = Set(store, SetRequest("k", "again", etag));
    CHECK(stale.error_code() == grpc::StatusCode::ABORTED);
    CHECK(Get(store, "k").data() == "updated");
  }

  SECTION("a different etag is ABORTED and changes nothing") {
    grpc::Status status = Set(store, SetRequest("k", "lost", etag + "1"));
    CHECK(status.error_code() == grpc::StatusCode::ABORTED);
    CHECK(status.error_message().find("etag mismatch") != std::string::npos);
    CHECK(Get(store, "k").data() == "original");
    CHECK(ETagOf(store, "k") == etag);
  }

  SECTION("an etag on a missing key is ABORTED and creates nothing") {
    grpc::Status status = Set(store, SetRequest("other", "v", "1"));
    CHECK(status.error_code() == grpc::StatusCode::ABORTED);
    CHECK_FALSE(Exists(store, "other"));
  }

  SECTION("a malformed etag is INVALID_ARGUMENT") {
    for (const char* bad : {"abc", "-1", "1.5", " 1", "99999999999999999999999"}) {
      INFO(bad);
      grpc::Status status = Set(store, SetRequest("k", "lost", bad));
      CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK(status.error_message().find("etag") != std::string::npos);
      CHECK(IsEtagInvalid(status));
    }
    CHECK(Get(store, "k").data() == "original");
  }

  SECTION("an empty etag message counts as no etag") {
    statepb::SetRequest request = SetRequest("k", "overwritten");
    request.mutable_etag();  // present but empty, as some SDKs send it
    REQUIRE(Set(store, request).ok());
    CHECK(Get(store, "k").data() == "overwritten");
  }
}

TEST_CASE("in-memory store: first-write and last-write concurrency", "[state][etag]") {
  InMemoryStateStore store;
  constexpr auto kFirst = statepb::StateOptions::CONCURRENCY_FIRST_WRITE;
  constexpr auto kLast = statepb::StateOptions::CONCURRENCY_LAST_WRITE;

  SECTION("first-write without etag creates a new key but cannot overwrite it") {
    REQUIRE(Set(store, SetRequest("k", "first", "", kFirst)).ok());
    grpc::Status second = Set(store, SetRequest("k", "second", "", kFirst));
    CHECK(second.error_code() == grpc::StatusCode::ABORTED);
    CHECK(Get(store, "k").data() == "first");
    // With the current etag, first-write may overwrite.
    REQUIRE(Set(store, SetRequest("k", "third", ETagOf(store, "k"), kFirst)).ok());
    CHECK(Get(store, "k").data() == "third");
  }

  SECTION("last-write and unspecified overwrite without etag") {
    REQUIRE(Set(store, SetRequest("k", "a", "", kLast)).ok());
    REQUIRE(Set(store, SetRequest("k", "b", "", kLast)).ok());
    CHECK(Get(store, "k").data() == "b");
    REQUIRE(Set(store, SetRequest("k", "c")).ok());
    CHECK(Get(store, "k").data() == "c");
  }

  SECTION("last-write with a wrong etag is still ABORTED") {
    REQUIRE(Set(store, SetRequest("k", "a")).ok());
    CHECK(Set(store, SetRequest("k", "b", ETagOf(store, "k") + "0", kLast)).error_code() ==
          grpc::StatusCode::ABORTED);
    CHECK(Get(store, "k").data() == "a");
  }
}

TEST_CASE("in-memory store: etags on delete", "[state][etag]") {
  InMemoryStateStore store;
  REQUIRE(Set(store, SetRequest("k", "v")).ok());
  std::string etag = ETagOf(store, "k");

  SECTION("the current etag deletes") {
    REQUIRE(Delete(store, DeleteRequest("k", etag)).ok());
    CHECK_FALSE(Exists(store, "k"));
  }

  SECTION("a wrong etag is ABORTED and keeps the value") {
    CHECK(Delete(store, DeleteRequest("k", etag + "7")).error_code() == grpc::StatusCode::ABORTED);
    CHECK(Get(store, "k").data() == "v");
  }

  SECTION("an etag on a missing key is ABORTED") {
    CHECK(Delete(store, DeleteRequest("missing", "1")).error_code() == grpc::StatusCode::ABORTED);
  }

  SECTION("a malformed etag is INVALID_ARGUMENT and keeps the value") {
    CHECK(Delete(store, DeleteRequest("k", "x1")).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(Exists(store, "k"));
  }

  SECTION("first-write delete of an existing key needs its etag") {
    constexpr auto kFirst = statepb::StateOptions::CONCURRENCY_FIRST_WRITE;
    CHECK(Delete(store, DeleteRequest("k", "", kFirst)).error_code() == grpc::StatusCode::ABORTED);
    CHECK(Exists(store, "k"));
    CHECK(Delete(store, DeleteRequest("k", etag, kFirst)).ok());
    CHECK_FALSE(Exists(store, "k"));
  }
}

TEST_CASE("in-memory store: ttlInSeconds", "[state][ttl]") {
  FakeClock clock;
  InMemoryStateStore store(clock.AsClock());

  SECTION("a key lives until its TTL passes, then reads as missing") {
    REQUIRE(Set(store, WithTtl(SetRequest("k", "v"), "10")).ok());
    clock.now += seconds(9);
    CHECK(Get(store, "k").data() == "v");
    clock.now += seconds(1);
    statepb::GetResponse response = Get(store, "k");
    CHECK(response.data().empty());
    CHECK_FALSE(response.has_etag());
  }

  SECTION("Get reports ttlExpireTime in RFC 3339 UTC") {
    REQUIRE(Set(store, WithTtl(SetRequest("k", "v"), "3600")).ok());
    clock.now += seconds(600);  // 3000 s left
    statepb::GetResponse response = Get(store, "k");
    REQUIRE(response.metadata().count("ttlExpireTime") == 1);
    const std::string& text = response.metadata().at("ttlExpireTime");
    INFO(text);
    REQUIRE(std::regex_match(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
    std::tm utc{};
    REQUIRE(strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &utc) != nullptr);
    std::time_t reported = timegm(&utc);
    std::time_t expected = std::time(nullptr) + 3000;
    // Wall-clock conversion rounds to seconds; a generous margin keeps this deterministic.
    CHECK(reported >= expected - 60);
    CHECK(reported <= expected + 60);
  }

  SECTION("-1, 0 or no ttlInSeconds never expire") {
    REQUIRE(Set(store, WithTtl(SetRequest("minus", "v"), "-1")).ok());
    REQUIRE(Set(store, WithTtl(SetRequest("zero", "v"), "0")).ok());
    REQUIRE(Set(store, SetRequest("none", "v")).ok());
    clock.now += std::chrono::hours(24 * 365 * 10);
    CHECK(Get(store, "minus").data() == "v");
    CHECK(Get(store, "zero").data() == "v");
    CHECK(Get(store, "none").data() == "v");
    CHECK(Get(store, "minus").metadata().count("ttlExpireTime") == 0);
  }

  SECTION("overwriting without a TTL removes the expiry; with one replaces it") {
    REQUIRE(Set(store, WithTtl(SetRequest("k", "v1"), "5")).ok());
    REQUIRE(Set(store, SetRequest("k", "v2")).ok());
    clock.now += seconds(10);
    CHECK(Get(store, "k").data() == "v2");
    REQUIRE(Set(store, WithTtl(SetRequest("j", "a"), "5")).ok());
    REQUIRE(Set(store, WithTtl(SetRequest("j", "b"), "100")).ok());
    clock.now += seconds(50);
    CHECK(Get(store, "j").data() == "b");
    clock.now += seconds(50);
    CHECK_FALSE(Exists(store, "j"));
  }

  SECTION("an expired key behaves as missing for etags and first-write") {
    REQUIRE(Set(store, WithTtl(SetRequest("k", "v"), "1")).ok());
    std::string etag = ETagOf(store, "k");
    clock.now += seconds(2);
    CHECK(Set(store, SetRequest("k", "x", etag)).error_code() == grpc::StatusCode::ABORTED);
    CHECK(Delete(store, DeleteRequest("k", etag)).error_code() == grpc::StatusCode::ABORTED);
    CHECK(Set(store, SetRequest("k", "fresh", "", statepb::StateOptions::CONCURRENCY_FIRST_WRITE))
              .ok());
    CHECK(Get(store, "k").data() == "fresh");
    // The new value carries no leftover TTL.
    clock.now += seconds(100);
    CHECK(Get(store, "k").data() == "fresh");
  }

  SECTION("a bad ttlInSeconds is INVALID_ARGUMENT and writes nothing") {
    for (const char* bad : {"abc", "1.5", "10s", "-2", " 5", "99999999999"}) {
      INFO(bad);
      grpc::Status status = Set(store, WithTtl(SetRequest("k", "v"), bad));
      CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK(status.error_message().find("ttlInSeconds") != std::string::npos);
      CHECK_FALSE(IsEtagInvalid(status));  // the store's own refusal, not an ETag error
      CHECK_FALSE(Exists(store, "k"));
    }
  }
}

TEST_CASE("in-memory store: bulk get", "[state][bulk]") {
  InMemoryStateStore store;
  REQUIRE(Set(store, SetRequest("a", "1")).ok());
  REQUIRE(Set(store, SetRequest("c", "3")).ok());

  statepb::BulkGetRequest request;
  for (const char* key : {"a", "b", "c"}) request.add_items()->set_key(key);
  int calls = 0;
  statepb::BulkGetResponse response;
  store.BulkGet(request, CallOptions{}, [&](grpc::Status status, statepb::BulkGetResponse r) {
    ++calls;
    CHECK(status.ok());
    response = std::move(r);
  });
  REQUIRE(calls == 1);
  REQUIRE(response.items_size() == 3);
  CHECK(response.items(0).key() == "a");
  CHECK(response.items(0).data() == "1");
  CHECK(response.items(0).etag().value() == ETagOf(store, "a"));
  CHECK(response.items(1).key() == "b");
  CHECK(response.items(1).data().empty());
  CHECK_FALSE(response.items(1).has_etag());
  CHECK(response.items(1).error().empty());
  CHECK(response.items(2).key() == "c");
  CHECK(response.items(2).data() == "3");
}

TEST_CASE("in-memory store: bulk set and bulk delete are all-or-nothing", "[state][bulk]") {
  InMemoryStateStore store;
  REQUIRE(Set(store, SetRequest("existing", "old")).ok());
  std::string etag = ETagOf(store, "existing");

  SECTION("bulk set writes every item") {
    statepb::BulkSetRequest request;
    *request.add_items() = SetRequest("a", "1");
    *request.add_items() = SetRequest("existing", "new", etag);
    REQUIRE(BulkSet(store, request).ok());
    CHECK(Get(store, "a").data() == "1");
    CHECK(Get(store, "existing").data() == "new");
  }

  SECTION("one stale etag fails the bulk set and writes nothing") {
    statepb::BulkSetRequest request;
    *request.add_items() = SetRequest("a", "1");
    *request.add_items() = SetRequest("existing", "new", etag + "9");
    *request.add_items() = SetRequest("b", "2");
    CHECK(BulkSet(store, request).error_code() == grpc::StatusCode::ABORTED);
    CHECK_FALSE(Exists(store, "a"));
    CHECK_FALSE(Exists(store, "b"));
    CHECK(Get(store, "existing").data() == "old");
    CHECK(ETagOf(store, "existing") == etag);
  }

  SECTION("the first failing item's error is the one reported") {
    statepb::BulkSetRequest request;
    *request.add_items() = SetRequest("a", "1");
    *request.add_items() = WithTtl(SetRequest("b", "2"), "soon");
    *request.add_items() = SetRequest("existing", "new", etag + "9");
    grpc::Status status = BulkSet(store, request);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(status.error_message().find("\"b\"") != std::string::npos);
    CHECK_FALSE(Exists(store, "a"));
  }

  SECTION("bulk delete removes every item") {
    REQUIRE(Set(store, SetRequest("a", "1")).ok());
    statepb::BulkDeleteRequest request;
    *request.add_items() = DeleteRequest("a");
    *request.add_items() = DeleteRequest("existing", etag);
    *request.add_items() = DeleteRequest("missing");
    REQUIRE(BulkDelete(store, request).ok());
    CHECK_FALSE(Exists(store, "a"));
    CHECK_FALSE(Exists(store, "existing"));
  }

  SECTION("one bad etag fails the bulk delete and deletes nothing") {
    REQUIRE(Set(store, SetRequest("a", "1")).ok());
    statepb::BulkDeleteRequest request;
    *request.add_items() = DeleteRequest("a");
    *request.add_items() = DeleteRequest("existing", "not-a-number");
    CHECK(BulkDelete(store, request).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(Exists(store, "a"));
    CHECK(Exists(store, "existing"));
  }
}

TEST_CASE("in-memory store: transactions are atomic", "[state][transact]") {
  FakeClock clock;
  InMemoryStateStore store(clock.AsClock());
  REQUIRE(Set(store, SetRequest("keep", "old")).ok());
  REQUIRE(Set(store, SetRequest("drop", "x")).ok());
  std::string keep_etag = ETagOf(store, "keep");

  SECTION("all operations apply, in order") {
    statepb::TransactionalStateRequest request;
    *request.add_operations()->mutable_set() = SetRequest("new", "1");
    *request.add_operations()->mutable_set() = SetRequest("keep", "updated", keep_etag);
    *request.add_operations()->mutable_delete_() = DeleteRequest("drop");
    *request.add_operations()->mutable_set() = SetRequest("twice", "first");
    *request.add_operations()->mutable_set() = WithTtl(SetRequest("twice", "second"), "5");
    REQUIRE(Transact(store, request).ok());
    CHECK(Get(store, "new").data() == "1");
    CHECK(Get(store, "keep").data() == "updated");
    CHECK_FALSE(Exists(store, "drop"));
    CHECK(Get(store, "twice").data() == "second");
    clock.now += seconds(5);
    CHECK_FALSE(Exists(store, "twice"));
  }

  SECTION("a failing operation rolls back the ones before it") {
    statepb::TransactionalStateRequest request;
    *request.add_operations()->mutable_set() = SetRequest("new", "1");
    *request.add_operations()->mutable_delete_() = DeleteRequest("drop");
    *request.add_operations()->mutable_set() = SetRequest("keep", "updated", keep_etag + "5");
    CHECK(Transact(store, request).error_code() == grpc::StatusCode::ABORTED);
    CHECK_FALSE(Exists(store, "new"));
    CHECK(Get(store, "drop").data() == "x");
    CHECK(Get(store, "keep").data() == "old");
    CHECK(ETagOf(store, "keep") == keep_etag);
  }

  SECTION("a failing delete rolls back everything") {
    statepb::TransactionalStateRequest request;
    *request.add_operations()->mutable_set() = SetRequest("keep", "updated", keep_etag);
    *request.add_operations()->mutable_delete_() = DeleteRequest("missing", "3");
    CHECK(Transact(store, request).error_code() == grpc::StatusCode::ABORTED);
    CHECK(Get(store, "keep").data() == "old");
  }

  SECTION("bad ttl or an empty operation is INVALID_ARGUMENT and applies nothing") {
    statepb::TransactionalStateRequest bad_ttl;
    *bad_ttl.add_operations()->mutable_set() = SetRequest("new", "1");
    *bad_ttl.add_operations()->mutable_set() = WithTtl(SetRequest("other", "1"), "x");
    CHECK(Transact(store, bad_ttl).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_FALSE(Exists(store, "new"));

    statepb::TransactionalStateRequest empty_op;
    *empty_op.add_operations()->mutable_delete_() = DeleteRequest("drop");
    empty_op.add_operations();  // neither set nor delete
    CHECK(Transact(store, empty_op).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(Exists(store, "drop"));
  }

  SECTION("an empty transaction succeeds and changes nothing") {
    REQUIRE(Transact(store, statepb::TransactionalStateRequest()).ok());
    CHECK(Get(store, "keep").data() == "old");
  }
}

TEST_CASE("in-memory store: features, query, multi max size, init and ping", "[state]") {
  InMemoryStateStore store;
  std::vector<std::string> features = store.Features();
  std::sort(features.begin(), features.end());
  CHECK(features == std::vector<std::string>{"ETAG", "TRANSACTIONAL", "TTL"});

  std::optional<grpc::Status> init;
  store.Init(InitSpec{}, [&](grpc::Status status) { init = status; });
  REQUIRE(init.has_value());
  CHECK(init->ok());

  std::optional<grpc::Status> ping;
  store.Ping([&](grpc::Status status) { ping = status; });
  REQUIRE(ping.has_value());
  CHECK(ping->ok());

  std::optional<grpc::Status> query;
  store.Query(statepb::QueryRequest(), CallOptions{},
              [&](grpc::Status status, statepb::QueryResponse) { query = status; });
  REQUIRE(query.has_value());
  CHECK(query->error_code() == grpc::StatusCode::UNIMPLEMENTED);

  std::optional<int64_t> max_size;
  store.MultiMaxSize([&](grpc::Status status, int64_t size) {
    CHECK(status.ok());
    max_size = size;
  });
  REQUIRE(max_size.has_value());
  CHECK(*max_size == -1);
}

TEST_CASE("in-memory store: callbacks run outside the lock", "[state]") {
  // If `done` ran under the store's mutex, calling back into the store would deadlock.
  InMemoryStateStore store;
  bool reentered = false;
  store.Set(SetRequest("k", "v"), CallOptions{}, [&](grpc::Status status) {
    REQUIRE(status.ok());
    store.Get(statepb::GetRequest(), CallOptions{},
              [&](grpc::Status, statepb::GetResponse) { reentered = true; });
  });
  CHECK(reentered);
}

TEST_CASE("in-memory store: concurrent etag-guarded increments lose no update", "[state]") {
  InMemoryStateStore store;
  REQUIRE(Set(store, SetRequest("counter", "0")).ok());
  constexpr int kThreads = 4;
  constexpr int kIncrements = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store] {
      for (int done = 0; done < kIncrements;) {
        statepb::GetRequest get;
        get.set_key("counter");
        statepb::GetResponse current;
        store.Get(get, CallOptions{},
                  [&](grpc::Status, statepb::GetResponse response) { current = response; });
        int value = std::stoi(current.data());
        grpc::Status result;
        store.Set(SetRequest("counter", std::to_string(value + 1), current.etag().value(),
                             statepb::StateOptions::CONCURRENCY_FIRST_WRITE),
                  CallOptions{}, [&](grpc::Status status) { result = status; });
        if (result.ok()) ++done;  // ABORTED: someone else won; read again and retry
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(Get(store, "counter").data() == std::to_string(kThreads * kIncrements));
}

}  // namespace
}  // namespace plughost
