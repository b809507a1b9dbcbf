// Conformance cases for state stores (dapr.proto.components.v1.StateStore and companions),
// driven through the host's GrpcStateStore, so ETag errors arrive decoded as the host sees them.
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "host/components/state_store.h"
#include "host/components/state_errors.h"
#include "host/conformance/await.h"
#include "host/conformance/suite.h"

namespace plughost::conformance {
namespace {

using Clock = std::chrono::steady_clock;

// What a component must answer, as the host sees it after decoding (docs/protocol.md §5).
constexpr char kMismatchConvention[] =
    "ABORTED (the component answers FAILED_PRECONDITION with exactly one google.rpc.BadRequest "
    "detail whose field violation is on \"etag\"; docs/protocol.md §5)";
constexpr char kInvalidConvention[] =
    "INVALID_ARGUMENT (the component answers INVALID_ARGUMENT with exactly one "
    "google.rpc.BadRequest detail whose field violation is on \"etag\"; docs/protocol.md §5)";
// What to change when an ETag error came as a bare code: plughost accepts it, daprd does not.
constexpr char kBareMismatchFix[] =
    "the component answered a bare ABORTED, which daprd turns into INTERNAL; answer "
    "FAILED_PRECONDITION with one google.rpc.BadRequest detail on \"etag\" (docs/protocol.md §5)";
constexpr char kBareInvalidFix[] =
    "the component answered a bare INVALID_ARGUMENT, which daprd reports as the store's own error, "
    "not as a bad ETag; add one google.rpc.BadRequest detail on \"etag\" (docs/protocol.md §5)";

// Passes a mismatch the host understood; warns when only plughost understands it.
CaseResult MismatchVerdict(const grpc::Status& status) {
  return IsEtagMismatch(status) ? Pass() : WorksOnlyWithPlughost(kBareMismatchFix);
}

// An ETag no store can have issued: not a number, not a hash.
constexpr char kMalformedEtag[] = "conformance: not an etag!";

// What came back, with a hint at the usual mistake behind it.
std::string CameBack(const grpc::Status& status) {
  std::string text = Describe(status);
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return text + ", so the component made no concurrency check";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return text + ", which reached the host without the single BadRequest detail on \"etag\"";
    case grpc::StatusCode::UNKNOWN:
      return text + ", a plain error (a bare error from a Go component arrives as UNKNOWN)";
    default:
      return text;
  }
}

statepb::SetRequest SetOf(const std::string& key, const std::string& value) {
  statepb::SetRequest request;
  request.set_key(key);
  request.set_value(value);
  return request;
}

statepb::DeleteRequest DeleteOf(const std::string& key) {
  statepb::DeleteRequest request;
  request.set_key(key);
  return request;
}

Reply<statepb::GetResponse> Get(StateStore& store, const std::string& key) {
  statepb::GetRequest request;
  request.set_key(key);
  return Await<statepb::GetResponse>([&](Callback<statepb::GetResponse> done) {
    store.Get(std::move(request), KitCallOptions(), std::move(done));
  });
}

grpc::Status Set(StateStore& store, statepb::SetRequest request) {
  return AwaitStatus([&](StatusCallback done) {
    store.Set(std::move(request), KitCallOptions(), std::move(done));
  });
}

grpc::Status Set(StateStore& store, const std::string& key, const std::string& value) {
  return Set(store, SetOf(key, value));
}

grpc::Status Delete(StateStore& store, statepb::DeleteRequest request) {
  return AwaitStatus([&](StatusCallback done) {
    store.Delete(std::move(request), KitCallOptions(), std::move(done));
  });
}

grpc::Status Transact(StateStore& store, statepb::TransactionalStateRequest request) {
  return AwaitStatus([&](StatusCallback done) {
    store.Transact(std::move(request), KitCallOptions(), std::move(done));
  });
}

std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

// Checks that `key` holds `want` (std::nullopt: absent); empty result when it does.
std::string CheckValue(StateStore& store, const std::string& key,
                       const std::optional<std::string>& want) {
  auto got = Get(store, key);
  if (!got.status.ok()) return fmt::format("Get {} failed: {}", key, Describe(got.status));
  bool present = !got.value.data().empty();
  if (!want) {
    if (present) return fmt::format("key {} still holds {}", key, Quoted(got.value.data()));
    return {};
  }
  if (!present) return fmt::format("key {} is gone (expected {})", key, Quoted(*want));
  if (got.value.data() != *want) {
    return fmt::format("key {} holds {} (expected {})", key, Quoted(got.value.data()),
                       Quoted(*want));
  }
  return {};
}

// The ETag `key` has now; empty with `*error` set when there is none.
std::string CurrentEtag(StateStore& store, const std::string& key, std::string* error) {
  auto got = Get(store, key);
  if (!got.status.ok()) {
    *error = fmt::format("Get {} failed: {}", key, Describe(got.status));
    return {};
  }
  if (!got.value.has_etag() || got.value.etag().value().empty()) {
    *error = fmt::format("Get {} returned no ETag after a Set", key);
  }
  return got.value.etag().value();
}

struct Versions {
  std::string stale;    // the ETag of the first write
  std::string current;  // the ETag after the second write, which holds "second"
};

// Writes `key` twice ("first", then "second"); the two ETags, or `*error`.
Versions WriteTwice(StateStore& store, const std::string& key, std::string* error) {
  Versions versions;
  if (auto status = Set(store, key, "first"); !status.ok()) {
    *error = fmt::format("Set {} failed: {}", key, Describe(status));
    return versions;
  }
  versions.stale = CurrentEtag(store, key, error);
  if (!error->empty()) return versions;
  if (auto status = Set(store, key, "second"); !status.ok()) {
    *error = fmt::format("overwriting {} failed: {}", key, Describe(status));
    return versions;
  }
  versions.current = CurrentEtag(store, key, error);
  if (error->empty() && versions.current == versions.stale) {
    *error = fmt::format("overwriting {} kept its ETag {}", key, Quoted(versions.stale));
  }
  return versions;
}

class StateCases {
 public:
  StateCases(Suite& suite, StateStore& store) : suite_(suite), store_(store) {}

  ~StateCases() {
    // Best effort: leave nothing behind in a persistent store.
    for (const auto& key : keys_) Delete(store_, DeleteOf(key));
  }

  // A key unique to this run, deleted when the suite ends.
  std::string Key(std::string_view name) {
    keys_.push_back(suite_.UniqueName(name));
    return keys_.back();
  }

  void RunAll() {
    suite_.Run("get-missing", [&] { return GetMissing(); });
    suite_.Run("set-get", [&] { return SetGet(); });
    suite_.Run("overwrite-changes-etag", {kFeatureETag}, [&] { return OverwriteChangesEtag(); });
    suite_.Run("set-with-current-etag", {kFeatureETag}, [&] { return SetWithCurrentEtag(); });
    suite_.Run("etag-mismatch-set", {kFeatureETag}, [&] { return EtagMismatchSet(); });
    suite_.Run("etag-mismatch-delete", {kFeatureETag}, [&] { return EtagMismatchDelete(); });
    suite_.Run("etag-malformed", {kFeatureETag}, [&] { return EtagMalformed(); });
    suite_.RunOptional("first-write-without-etag", "first-write", {kFeatureETag},
                       [&] { return FirstWrite(); });
    suite_.Run("delete", [&] { return DeleteCase(); });
    suite_.Run("delete-missing", [&] { return DeleteMissing(); });
    suite_.Run("bulk-set-get", [&] { return BulkSetGet(); });
    suite_.Run("bulk-delete", [&] { return BulkDelete(); });
    suite_.Run("transaction", {kFeatureTransactional}, [&] { return Transaction(); });
    suite_.Run("transaction-stale-etag", {kFeatureTransactional, kFeatureETag},
               [&] { return TransactionStaleEtag(); });
    suite_.Run("ttl", {kFeatureTTL}, [&] { return Ttl(); });
    suite_.Run("instances-isolated", [&] { return InstancesIsolated(); });
  }

 private:
  CaseResult GetMissing() {
    auto got = Get(store_, Key("never-set"));
    if (!got.status.ok()) {
      return Fail(
          "Get of a key never set should answer OK with no data (docs/protocol.md §4.1), "
          "got " +
          Describe(got.status));
    }
    if (!got.value.data().empty()) {
      return Fail("Get of a key never set returned data " + Quoted(got.value.data()));
    }
    if (got.value.has_etag() && !got.value.etag().value().empty()) {
      return Fail("Get of a key never set returned ETag " + Quoted(got.value.etag().value()));
    }
    return Pass();
  }

  CaseResult SetGet() {
    std::string key = Key("set-get");
    if (auto status = Set(store_, key, "value-1"); !status.ok()) {
      return Fail("Set should answer OK, got " + Describe(status));
    }
    if (auto error = CheckValue(store_, key, "value-1"); !error.empty()) {
      return Fail("after Set: " + error);
    }
    return Pass();
  }

  CaseResult OverwriteChangesEtag() {
    std::string error;
    WriteTwice(store_, Key("overwrite"), &error);
    if (!error.empty()) return Fail(error);
    return Pass();
  }

  CaseResult SetWithCurrentEtag() {
    std::string key = Key("current-etag");
    std::string error;
    Versions versions = WriteTwice(store_, key, &error);
    if (!error.empty()) return Fail(error);
    statepb::SetRequest request = SetOf(key, "third");
    request.mutable_etag()->set_value(versions.current);
    if (auto status = Set(store_, std::move(request)); !status.ok()) {
      return Fail("Set with the key's current ETag should answer OK, got " + Describe(status));
    }
    if (auto error = CheckValue(store_, key, "third"); !error.empty()) return Fail(error);
    return Pass();
  }

  CaseResult EtagMismatchSet() {
    std::string key = Key("stale-set");
    std::string error;
    Versions versions = WriteTwice(store_, key, &error);
    if (!error.empty()) return Fail(error);
    statepb::SetRequest request = SetOf(key, "overwritten");
    request.mutable_etag()->set_value(versions.stale);
    grpc::Status status = Set(store_, std::move(request));
    std::string value_error = CheckValue(store_, key, "second");
    if (status.error_code() != grpc::StatusCode::ABORTED) {
      return Fail(fmt::format("Set with a stale ETag should fail with {}; got {}{}",
                              kMismatchConvention, CameBack(status),
                              value_error.empty() ? "" : "; " + value_error));
    }
    if (!value_error.empty())
      return Fail("Set with a stale ETag answered ABORTED, but " + value_error);
    return MismatchVerdict(status);
  }

  CaseResult EtagMismatchDelete() {
    std::string key = Key("stale-delete");
    std::string error;
    Versions versions = WriteTwice(store_, key, &error);
    if (!error.empty()) return Fail(error);
    statepb::DeleteRequest request = DeleteOf(key);
    request.mutable_etag()->set_value(versions.stale);
    grpc::Status status = Delete(store_, std::move(request));
    std::string value_error = CheckValue(store_, key, "second");
    if (status.error_code() != grpc::StatusCode::ABORTED) {
      return Fail(fmt::format("Delete with a stale ETag should fail with {}; got {}{}",
                              kMismatchConvention, CameBack(status),
                              value_error.empty() ? "" : "; " + value_error));
    }
    if (!value_error.empty()) {
      return Fail("Delete with a stale ETag answered ABORTED, but " + value_error);
    }
    return MismatchVerdict(status);
  }

  CaseResult EtagMalformed() {
    std::string key = Key("malformed");
    if (auto status = Set(store_, key, "kept"); !status.ok()) {
      return Fail("Set failed: " + Describe(status));
    }
    statepb::SetRequest request = SetOf(key, "overwritten");
    request.mutable_etag()->set_value(kMalformedEtag);
    grpc::Status status = Set(store_, std::move(request));
    if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
      return Fail(fmt::format("Set with the malformed ETag {} should fail with {}; got {}",
                              Quoted(kMalformedEtag), kInvalidConvention, CameBack(status)));
    }
    if (auto error = CheckValue(store_, key, "kept"); !error.empty()) {
      return Fail("Set with a malformed ETag answered INVALID_ARGUMENT, but " + error);
    }
    return IsEtagInvalid(status) ? Pass() : WorksOnlyWithPlughost(kBareInvalidFix);
  }

  CaseResult FirstWrite() {
    std::string key = Key("first-write");
    statepb::SetRequest insert = SetOf(key, "first");
    insert.mutable_options()->set_concurrency(statepb::StateOptions::CONCURRENCY_FIRST_WRITE);
    if (auto status = Set(store_, insert); !status.ok()) {
      return Fail("first-write Set without an ETag on a new key should answer OK, got " +
                  Describe(status));
    }
    statepb::SetRequest overwrite = SetOf(key, "second");
    overwrite.mutable_options()->set_concurrency(statepb::StateOptions::CONCURRENCY_FIRST_WRITE);
    grpc::Status status = Set(store_, std::move(overwrite));
    std::string value_error = CheckValue(store_, key, "first");
    if (status.error_code() != grpc::StatusCode::ABORTED) {
      return Fail(fmt::format(
          "first-write Set without an ETag on an existing key should fail with {}; got {}{}",
          kMismatchConvention, CameBack(status), value_error.empty() ? "" : "; " + value_error));
    }
    if (!value_error.empty())
      return Fail("first-write conflict answered ABORTED, but " + value_error);
    return MismatchVerdict(status);
  }

  CaseResult DeleteCase() {
    std::string key = Key("delete");
    if (auto status = Set(store_, key, "doomed"); !status.ok()) {
      return Fail("Set failed: " + Describe(status));
    }
    if (auto status = Delete(store_, DeleteOf(key)); !status.ok()) {
      return Fail("Delete should answer OK, got " + Describe(status));
    }
    if (auto error = CheckValue(store_, key, std::nullopt); !error.empty()) {
      return Fail("after Delete: " + error);
    }
    return Pass();
  }

  CaseResult DeleteMissing() {
    if (auto status = Delete(store_, DeleteOf(Key("delete-missing"))); !status.ok()) {
      return Fail("Delete of a key never set should answer OK, got " + Describe(status));
    }
    return Pass();
  }

  CaseResult BulkSetGet() {
    std::string a = Key("bulk-a"), b = Key("bulk-b"), missing = Key("bulk-missing");
    statepb::BulkSetRequest set;
    *set.add_items() = SetOf(a, "bulk-value-a");
    *set.add_items() = SetOf(b, "bulk-value-b");
    grpc::Status status = AwaitStatus([&](StatusCallback done) {
      store_.BulkSet(std::move(set), KitCallOptions(), std::move(done));
    });
    if (!status.ok()) return Fail("BulkSet should answer OK, got " + Describe(status));

    statepb::BulkGetRequest get;
    for (const auto& key : {a, b, missing}) get.add_items()->set_key(key);
    auto got = Await<statepb::BulkGetResponse>([&](Callback<statepb::BulkGetResponse> done) {
      store_.BulkGet(std::move(get), KitCallOptions(), std::move(done));
    });
    if (!got.status.ok()) return Fail("BulkGet should answer OK, got " + Describe(got.status));
    std::map<std::string, std::string> found;
    for (const auto& item : got.value.items()) {
      if (!item.error().empty()) {
        return Fail(fmt::format("BulkGet reported an error for {}: {}", item.key(), item.error()));
      }
      found[item.key()] = item.data();
    }
    if (found[a] != "bulk-value-a" || found[b] != "bulk-value-b") {
      return Fail(
          fmt::format("BulkGet after BulkSet returned {}={} and {}={} (expected "
                      "\"bulk-value-a\" and \"bulk-value-b\")",
                      a, Quoted(found[a]), b, Quoted(found[b])));
    }
    if (!found[missing].empty()) {
      return Fail(fmt::format("BulkGet returned data {} for {}, which was never set",
                              Quoted(found[missing]), missing));
    }
    return Pass();
  }

  CaseResult BulkDelete() {
    std::string a = Key("bulk-delete-a"), b = Key("bulk-delete-b");
    for (const auto& key : {a, b}) {
      if (auto status = Set(store_, key, "doomed"); !status.ok()) {
        return Fail("Set failed: " + Describe(status));
      }
    }
    statepb::BulkDeleteRequest request;
    *request.add_items() = DeleteOf(a);
    *request.add_items() = DeleteOf(b);
    grpc::Status status = AwaitStatus([&](StatusCallback done) {
      store_.BulkDelete(std::move(request), KitCallOptions(), std::move(done));
    });
    if (!status.ok()) return Fail("BulkDelete should answer OK, got " + Describe(status));
    for (const auto& key : {a, b}) {
      if (auto error = CheckValue(store_, key, std::nullopt); !error.empty()) {
        return Fail("after BulkDelete: " + error);
      }
    }
    return Pass();
  }

  CaseResult Transaction() {
    std::string removed = Key("tx-removed"), added = Key("tx-added");
    if (auto status = Set(store_, removed, "old"); !status.ok()) {
      return Fail("Set failed: " + Describe(status));
    }
    statepb::TransactionalStateRequest request;
    *request.add_operations()->mutable_set() = SetOf(added, "new");
    *request.add_operations()->mutable_delete_() = DeleteOf(removed);
    if (auto status = Transact(store_, std::move(request)); !status.ok()) {
      return Fail("Transact [set, delete] should answer OK, got " + Describe(status));
    }
    if (auto error = CheckValue(store_, added, "new"); !error.empty()) {
      return Fail("after Transact: " + error);
    }
    if (auto error = CheckValue(store_, removed, std::nullopt); !error.empty()) {
      return Fail("after Transact: " + error);
    }
    return Pass();
  }

  CaseResult TransactionStaleEtag() {
    std::string guarded = Key("tx-guarded"), added = Key("tx-not-added");
    std::string error;
    Versions versions = WriteTwice(store_, guarded, &error);
    if (!error.empty()) return Fail(error);
    statepb::TransactionalStateRequest request;
    *request.add_operations()->mutable_set() = SetOf(added, "new");
    statepb::SetRequest stale = SetOf(guarded, "overwritten");
    stale.mutable_etag()->set_value(versions.stale);
    *request.add_operations()->mutable_set() = std::move(stale);
    grpc::Status status = Transact(store_, std::move(request));
    std::string applied = CheckValue(store_, added, std::nullopt);
    if (applied.empty()) applied = CheckValue(store_, guarded, "second");
    if (status.ok()) {
      return Fail("Transact holding a stale ETag should fail and apply nothing, got OK" +
                  (applied.empty() ? std::string() : "; " + applied));
    }
    if (!applied.empty()) {
      return Fail(
          fmt::format("Transact holding a stale ETag failed ({}) but was partly applied: {}",
                      Describe(status), applied));
    }
    return Pass();
  }

  CaseResult Ttl() {
    std::string key = Key("ttl");
    statepb::SetRequest request = SetOf(key, "short-lived");
    (*request.mutable_metadata())["ttlInSeconds"] = "1";
    auto written = Clock::now();
    if (auto status = Set(store_, std::move(request)); !status.ok()) {
      return Fail("Set with metadata ttlInSeconds=1 should answer OK, got " + Describe(status));
    }
    if (auto error = CheckValue(store_, key, "short-lived"); !error.empty()) {
      return Fail("right after Set with ttlInSeconds=1: " + error);
    }
    // Gone after two seconds; a store counting in whole seconds gets one more.
    std::this_thread::sleep_until(written + std::chrono::seconds(2));
    std::string error;
    while (true) {
      error = CheckValue(store_, key, std::nullopt);
      if (error.empty()) return Pass();
      if (Clock::now() - written > std::chrono::seconds(3)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - written);
    return Fail(fmt::format("{} ms after Set with ttlInSeconds=1, {}", waited.count(), error));
  }

  CaseResult InstancesIsolated() {
    grpc::Status status;
    auto other = suite_.CreateInstance<StateStore>("b", &status);
    if (!other) return Fail("a second instance on the same socket: " + status.error_message());
    std::string key = Key("isolated");
    CaseResult result = [&] {
      if (auto status = Set(store_, key, "from-a"); !status.ok()) {
        return Fail("Set in instance a failed: " + Describe(status));
      }
      if (auto error = CheckValue(*other, key, std::nullopt); !error.empty()) {
        return Fail(
            "instance b sees instance a's key (keep state per x-component-instance "
            "header; docs/protocol.md §2): " +
            error);
      }
      if (auto status = Set(*other, key, "from-b"); !status.ok()) {
        return Fail("Set in instance b failed: " + Describe(status));
      }
      if (auto error = CheckValue(store_, key, "from-a"); !error.empty()) {
        return Fail(
            "a write in instance b changed instance a (keep state per "
            "x-component-instance header; docs/protocol.md §2): " +
            error);
      }
      return Pass();
    }();
    Delete(*other, DeleteOf(key));
    return result;
  }

  Suite& suite_;
  StateStore& store_;
  std::vector<std::string> keys_;
};

}  // namespace

void RunStateSuite(const SuiteContext& context) {
  Suite suite(context, "state");
  auto store = suite.InitCase<StateStore>("init", "a");
  if (!store) return;
  suite.FeaturesCase();
  {
    StateCases cases(suite, *store);
    cases.RunAll();
  }
  suite.PingCase(*store);
}

}  // namespace plughost::conformance
