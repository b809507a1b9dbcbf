// One socket serving several configured instances: each gets its own Init metadata and its
// own data, because every call carries x-component-instance.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {
namespace rt = ::dapr::proto::runtime::v1;

std::string GetValue(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetStateResponse response;
  auto status = dapr.GetState(Deadline().get(), request, &response);
  REQUIRE(status.ok());
  return response.data();
}
}  // namespace

TEST_CASE("two instances on one socket stay isolated and get their own Init", "[integration]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "shared");
  REQUIRE(sample);
  WriteFile(dir.File("config.json"), R"({
    "app_id": "isolation-app",
    "components": [
      {"name": "alpha", "type": "state.shared", "metadata": {"keyPrefix": "none", "color": "red"}},
      {"name": "beta", "type": "state.shared", "metadata": {"keyPrefix": "none", "color": "blue", "size": 3}}
    ]})");
  RunningHost host(dir, dir.path(), {"--config", dir.File("config.json")});
  REQUIRE(host.started());
  auto& dapr = host.dapr();

  rt::SaveStateRequest save;
  save.set_store_name("alpha");
  auto* item = save.add_states();
  item->set_key("k");
  item->set_value("from-alpha");
  google::protobuf::Empty empty;
  REQUIRE(dapr.SaveState(Deadline().get(), save, &empty).ok());

  CHECK(GetValue(dapr, "alpha", "k") == "from-alpha");
  CHECK(GetValue(dapr, "beta", "k").empty());

  // The sample exposes each instance's Init metadata under a reserved key.
  auto alpha_init = nlohmann::json::parse(GetValue(dapr, "alpha", "__init_metadata__"));
  auto beta_init = nlohmann::json::parse(GetValue(dapr, "beta", "__init_metadata__"));
  CHECK(alpha_init["color"] == "red");
  CHECK(beta_init["color"] == "blue");
  CHECK(beta_init["size"] == "3");
  CHECK(GetValue(dapr, "alpha", "__init_count__") == "1");

  // The configured type is used, so no automatic instance named after the socket exists.
  rt::GetStateRequest missing;
  missing.set_store_name("shared");
  missing.set_key("k");
  rt::GetStateResponse response;
  CHECK(dapr.GetState(Deadline().get(), missing, &response).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("state keys reach the store prefixed with the app id, as Dapr does", "[integration]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "keys");
  REQUIRE(sample);
  WriteFile(dir.File("config.json"), R"({
    "app_id": "myapp",
    "components": [
      {"name": "prefixed", "type": "state.keys"},
      {"name": "raw", "type": "state.keys", "metadata": {"keyPrefix": "none"}}
    ]})");
  RunningHost host(dir, dir.path(), {"--config", dir.File("config.json")});
  REQUIRE(host.started());
  auto& dapr = host.dapr();
  rt::SaveStateRequest save;
  save.set_store_name("prefixed");
  auto* item = save.add_states();
  item->set_key("order");
  item->set_value("42");
  google::protobuf::Empty empty;
  REQUIRE(dapr.SaveState(Deadline().get(), save, &empty).ok());
  CHECK(GetValue(dapr, "prefixed", "order") == "42");
  // The store received "<app id>||<key>" from the prefixed instance and the bare key from "raw".
  CHECK(GetValue(dapr, "prefixed", "__stored_keys__") == R"(["myapp||order"])");
  save.set_store_name("raw");
  REQUIRE(dapr.SaveState(Deadline().get(), save, &empty).ok());
  CHECK(GetValue(dapr, "raw", "__stored_keys__") == R"(["order"])");
  // Bulk get maps the store's keys back to the app's.
  rt::GetBulkStateRequest bulk;
  bulk.set_store_name("prefixed");
  bulk.add_keys("order");
  rt::GetBulkStateResponse bulk_response;
  REQUIRE(dapr.GetBulkState(Deadline().get(), bulk, &bulk_response).ok());
  REQUIRE(bulk_response.items_size() == 1);
  CHECK(bulk_response.items(0).key() == "order");
  CHECK(bulk_response.items(0).data() == "42");
}

}  // namespace plughost::testing
