// Every state RPC and SayHello through the real host, against the built-in in-memory store and
// the pluggable C++ sample component on a real socket.
#include <catch2/catch.hpp>
#include <grpcpp/generic/generic_stub.h>

#include <condition_variable>
#include <mutex>
#include <set>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
namespace common = ::dapr::proto::common::v1;
namespace layotto = ::spec::proto::runtime::v1;

struct HostWithSample {
  TempDir dir;
  std::unique_ptr<ChildProcess> sample = StartSampleComponent(dir, "cpp-sample");
  RunningHost host{dir, dir.path()};
};

grpc::Status Save(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                  const std::string& value, const std::string& etag = "",
                  bool first_write = false) {
  rt::SaveStateRequest request;
  request.set_store_name(store);
  auto* item = request.add_states();
  item->set_key(key);
  item->set_value(value);
  if (!etag.empty()) item->mutable_etag()->set_value(etag);
  if (first_write) {
    item->mutable_options()->set_concurrency(common::StateOptions::CONCURRENCY_FIRST_WRITE);
  }
  google::protobuf::Empty empty;
  return dapr.SaveState(Deadline().get(), request, &empty);
}

rt::GetStateResponse Get(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                         grpc::Status* status = nullptr) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetStateResponse response;
  auto s = dapr.GetState(Deadline().get(), request, &response);
  if (status)
    *status = s;
  else
    REQUIRE(s.ok());
  return response;
}

}  // namespace

TEST_CASE("state RPCs work through the host for built-in and pluggable stores", "[integration]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  for (std::string store : {"statestore", "cpp-sample"}) {
    DYNAMIC_SECTION("store " << store) {
      // Save two, read them back, one by one and in bulk.
      rt::SaveStateRequest save;
      save.set_store_name(store);
      for (auto [k, v] : {std::pair{"a", "alpha"}, std::pair{"b", "beta"}}) {
        auto* item = save.add_states();
        item->set_key(k);
        item->set_value(v);
      }
      google::protobuf::Empty empty;
      REQUIRE(dapr.SaveState(Deadline().get(), save, &empty).ok());
      auto a = Get(dapr, store, "a");
      CHECK(a.data() == "alpha");
      CHECK_FALSE(a.etag().empty());

      rt::GetBulkStateRequest bulk;
      bulk.set_store_name(store);
      bulk.add_keys("a");
      bulk.add_keys("b");
      bulk.add_keys("missing");
      rt::GetBulkStateResponse bulk_response;
      REQUIRE(dapr.GetBulkState(Deadline().get(), bulk, &bulk_response).ok());
      std::map<std::string, std::string> got;
      for (const auto& item : bulk_response.items()) got[item.key()] = item.data();
      CHECK(got["a"] == "alpha");
      CHECK(got["b"] == "beta");
      CHECK(got.count("missing") == 1);
      CHECK(got["missing"].empty());

      // ETag rules: a wrong ETag is a conflict (ABORTED), a malformed one INVALID_ARGUMENT.
      auto conflict = Save(dapr, store, "a", "x", "999999");
      CHECK(conflict.error_code() == grpc::StatusCode::ABORTED);
      CHECK_THAT(conflict.error_message(),
                 Catch::Contains("failed saving state in state store " + store));
      CHECK_THAT(conflict.error_message(), Catch::Contains("possible etag mismatch"));
      CHECK(Save(dapr, store, "a", "x", "not-a-number").error_code() ==
            grpc::StatusCode::INVALID_ARGUMENT);
      CHECK(Get(dapr, store, "a").data() == "alpha");  // nothing was written
      REQUIRE(Save(dapr, store, "a", "alpha2", a.etag()).ok());
      auto a2 = Get(dapr, store, "a");
      CHECK(a2.data() == "alpha2");
      CHECK(a2.etag() != a.etag());
      // First-write concurrency without an ETag on an existing key is a conflict too.
      CHECK(Save(dapr, store, "a", "y", "", /*first_write=*/true).error_code() ==
            grpc::StatusCode::ABORTED);

      // Delete: wrong ETag refused, right one accepted.
      rt::DeleteStateRequest del;
      del.set_store_name(store);
      del.set_key("a");
      del.mutable_etag()->set_value(a.etag());  // stale
      auto del_status = dapr.DeleteState(Deadline().get(), del, &empty);
      CHECK(del_status.error_code() == grpc::StatusCode::ABORTED);
      CHECK_THAT(del_status.error_message(), Catch::Contains("failed deleting state with key a"));
      del.mutable_etag()->set_value(a2.etag());
      REQUIRE(dapr.DeleteState(Deadline().get(), del, &empty).ok());
      CHECK(Get(dapr, store, "a").data().empty());

      // Transactions: all applied together, or none when one operation conflicts.
      rt::ExecuteStateTransactionRequest tx;
      tx.set_storename(store);
      auto* up = tx.add_operations();
      up->set_operationtype("upsert");
      up->mutable_request()->set_key("t1");
      up->mutable_request()->set_value("one");
      auto* rm = tx.add_operations();
      rm->set_operationtype("delete");
      rm->mutable_request()->set_key("b");
      REQUIRE(dapr.ExecuteStateTransaction(Deadline().get(), tx, &empty).ok());
      CHECK(Get(dapr, store, "t1").data() == "one");
      CHECK(Get(dapr, store, "b").data().empty());

      rt::ExecuteStateTransactionRequest bad_tx;
      bad_tx.set_storename(store);
      auto* ok_op = bad_tx.add_operations();
      ok_op->set_operationtype("upsert");
      ok_op->mutable_request()->set_key("t2");
      ok_op->mutable_request()->set_value("two");
      auto* bad_op = bad_tx.add_operations();
      bad_op->set_operationtype("upsert");
      bad_op->mutable_request()->set_key("t1");
      bad_op->mutable_request()->set_value("uno");
      bad_op->mutable_request()->mutable_etag()->set_value("424242");
      auto tx_status = dapr.ExecuteStateTransaction(Deadline().get(), bad_tx, &empty);
      // Dapr reports every failed transaction as INTERNAL (it maps no ETag details on Transact).
      CHECK(tx_status.error_code() == grpc::StatusCode::INTERNAL);
      CHECK_THAT(tx_status.error_message(),
                 Catch::Contains("error while executing state transaction"));
      CHECK(Get(dapr, store, "t2").data().empty());
      CHECK(Get(dapr, store, "t1").data() == "one");

      rt::ExecuteStateTransactionRequest unknown_op;
      unknown_op.set_storename(store);
      unknown_op.add_operations()->set_operationtype("merge");
      unknown_op.mutable_operations(0)->mutable_request()->set_key("k");
      CHECK(dapr.ExecuteStateTransaction(Deadline().get(), unknown_op, &empty).error_code() ==
            grpc::StatusCode::UNIMPLEMENTED);

      // Bulk delete.
      REQUIRE(Save(dapr, store, "c", "gamma").ok());
      rt::DeleteBulkStateRequest bulk_del;
      bulk_del.set_store_name(store);
      bulk_del.add_states()->set_key("c");
      bulk_del.add_states()->set_key("t1");
      REQUIRE(dapr.DeleteBulkState(Deadline().get(), bulk_del, &empty).ok());
      CHECK(Get(dapr, store, "c").data().empty());
      CHECK(Get(dapr, store, "t1").data().empty());

      // Neither store implements queries: the app sees UNIMPLEMENTED.
      rt::QueryStateRequest query;
      query.set_store_name(store);
      query.set_query(R"({"filter": {"EQ": {"state": "CA"}}, "page": {"limit": 2}})");
      rt::QueryStateResponse query_response;
      CHECK(dapr.QueryStateAlpha1(Deadline().get(), query, &query_response).error_code() ==
            grpc::StatusCode::UNIMPLEMENTED);

      // Bad requests.
      grpc::Status status;
      Get(dapr, store, "", &status);
      CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK(status.error_message() == "state key cannot be empty");
      CHECK(Save(dapr, store, "", "v").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK(Save(dapr, store, "a||b", "v").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      query.set_query("{not json");
      CHECK(dapr.QueryStateAlpha1(Deadline().get(), query, &query_response).error_code() ==
            grpc::StatusCode::INVALID_ARGUMENT);
    }
  }

  SECTION("unknown and missing store names are INVALID_ARGUMENT, as in Dapr") {
    grpc::Status status;
    Get(dapr, "nope", "k", &status);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(status.error_message() == "state store nope is not found");
    Get(dapr, "", "k", &status);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(Save(dapr, "nope", "k", "v").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }

  SECTION("metadata lists every instance with its type and capabilities") {
    rt::SetMetadataRequest set;
    set.set_key("team");
    set.set_value("blue");
    google::protobuf::Empty empty;
    REQUIRE(dapr.SetMetadata(Deadline().get(), set, &empty).ok());
    rt::GetMetadataResponse metadata;
    REQUIRE(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
    std::map<std::string, std::pair<std::string, std::set<std::string>>> components;
    for (const auto& c : metadata.registered_components()) {
      components[c.name() + "/" + c.type()] = {c.version(),
                                               {c.capabilities().begin(), c.capabilities().end()}};
    }
    REQUIRE(components.count("statestore/state.in-memory"));
    CHECK(components["statestore/state.in-memory"].second.count("ETAG"));
    CHECK(components["statestore/state.in-memory"].second.count("TRANSACTIONAL"));
    REQUIRE(components.count("cpp-sample/state.cpp-sample"));
    CHECK(components["cpp-sample/state.cpp-sample"].second.count("TRANSACTIONAL"));
    CHECK(components.count("cpp-sample/hello.cpp-sample"));
    CHECK(components.count("helloworld/hello.helloworld"));
    CHECK(metadata.extended_metadata().at("team") == "blue");
  }

  SECTION("Layotto's SayHello reaches built-in and pluggable hello services") {
    layotto::SayHelloRequest request;
    request.set_service_name("helloworld");
    request.set_name("app");
    layotto::SayHelloResponse response;
    REQUIRE(env.host.layotto().SayHello(Deadline().get(), request, &response).ok());
    CHECK(response.hello() == "greetings");
    request.set_service_name("cpp-sample");
    REQUIRE(env.host.layotto().SayHello(Deadline().get(), request, &response).ok());
    CHECK_THAT(response.hello(), Catch::Contains("hello"));
    // Layotto's own answer for an unknown service: its untyped ErrNoInstance.
    request.set_service_name("nobody");
    auto unknown = env.host.layotto().SayHello(Deadline().get(), request, &response);
    CHECK(unknown.error_code() == grpc::StatusCode::UNKNOWN);
    CHECK(unknown.error_message() == "no instance found");
  }

  SECTION("methods plughost does not implement answer UNIMPLEMENTED") {
    grpc::GenericStub generic(env.host.channel());
    grpc::Slice empty_message("");
    grpc::ByteBuffer request(&empty_message, 1), response;
    grpc::Status status;
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    auto context = Deadline();
    generic.UnaryCall(context.get(), "/dapr.proto.runtime.v1.Dapr/InvokeService",
                      grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
                        std::lock_guard lock(mutex);
                        status = s;
                        done = true;
                        cv.notify_all();
                      });
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done; });
    CHECK(status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  }
}

}  // namespace plughost::testing
