// Errors an SDK can read: a real gRPC client reads the google.rpc.Status the host sends in
// grpc-status-details-bin. Lookups of every building block carry daprd's ErrorInfo (domain
// dapr.io, its reason) and, where daprd adds one, a ResourceInfo; a state component's "kit"
// error reaches the app with the component's own code, message and reason, as daprd hands it on.
#include <catch2/catch.hpp>
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <string>
#include <vector>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {
namespace rt = ::dapr::proto::runtime::v1;
namespace cpb = ::dapr::proto::components::v1;

// What the status details say, in daprd's terms.
struct Details {
  bool parsed = false;
  int count = 0;
  bool has_error_info = false;
  google::rpc::ErrorInfo info;
  bool has_resource = false;
  google::rpc::ResourceInfo resource;
  int error_info_index = -1;
  int resource_index = -1;
};

Details Read(const grpc::Status& status) {
  Details details;
  google::rpc::Status rich;
  if (status.error_details().empty() || !rich.ParseFromString(status.error_details())) {
    return details;
  }
  details.parsed = true;
  details.count = rich.details_size();
  for (int i = 0; i < rich.details_size(); ++i) {
    if (rich.details(i).UnpackTo(&details.info)) {
      details.has_error_info = true;
      details.error_info_index = i;
    } else if (rich.details(i).UnpackTo(&details.resource)) {
      details.has_resource = true;
      details.resource_index = i;
    }
  }
  CHECK(rich.code() == static_cast<int>(status.error_code()));
  CHECK(rich.message() == status.error_message());
  return details;
}

void CheckReason(const grpc::Status& status, grpc::StatusCode code, const std::string& reason) {
  INFO(status.error_code() << " " << status.error_message());
  CHECK(status.error_code() == code);
  auto details = Read(status);
  REQUIRE(details.has_error_info);
  CHECK(details.info.domain() == "dapr.io");
  CHECK(details.info.reason() == reason);
}

grpc::Status Publish(RunningHost& host, const std::string& pubsub) {
  rt::PublishEventRequest request;
  request.set_pubsub_name(pubsub);
  request.set_topic("orders");
  request.set_data("{}");
  google::protobuf::Empty empty;
  return host.dapr().PublishEvent(Deadline().get(), request, &empty);
}

grpc::Status GetSecret(RunningHost& host, const std::string& store) {
  rt::GetSecretRequest request;
  request.set_store_name(store);
  request.set_key("k");
  rt::GetSecretResponse response;
  return host.dapr().GetSecret(Deadline().get(), request, &response);
}

grpc::Status GetConfiguration(RunningHost& host, const std::string& store) {
  rt::GetConfigurationRequest request;
  request.set_store_name(store);
  request.add_keys("k");
  rt::GetConfigurationResponse response;
  return host.dapr().GetConfiguration(Deadline().get(), request, &response);
}

grpc::Status TryLock(RunningHost& host, const std::string& store) {
  rt::TryLockRequest request;
  request.set_store_name(store);
  request.set_resource_id("r");
  request.set_lock_owner("o");
  request.set_expiry_in_seconds(10);
  rt::TryLockResponse response;
  return host.dapr().TryLockAlpha1(Deadline().get(), request, &response);
}

grpc::Status InvokeBinding(RunningHost& host, const std::string& name) {
  rt::InvokeBindingRequest request;
  request.set_name(name);
  request.set_operation("create");
  rt::InvokeBindingResponse response;
  return host.dapr().InvokeBinding(Deadline().get(), request, &response);
}

grpc::Status GetState(RunningHost& host, const std::string& store, const std::string& key) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetStateResponse response;
  return host.dapr().GetState(Deadline().get(), request, &response);
}

// A state store in this process whose Get and Set fail with a kit error (docs/protocol.md §3).
class KitErrorStore final : public cpb::StateStore::Service {
 public:
  static grpc::Status Kit(const std::string& message) {
    google::rpc::ErrorInfo info;
    info.set_reason("MYSTORE_QUOTA_EXCEEDED");
    info.set_domain("mystore.example.com");
    (*info.mutable_metadata())["kit_error"] = "true";
    (*info.mutable_metadata())["http_code"] = "429";
    (*info.mutable_metadata())["tag"] = "ERR_QUOTA";
    google::rpc::Status rich;
    rich.set_code(static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
    rich.set_message(message);
    rich.add_details()->PackFrom(info);
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message, rich.SerializeAsString());
  }

  grpc::Status Init(grpc::ServerContext*, const cpb::InitRequest*, cpb::InitResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status Features(grpc::ServerContext*, const cpb::FeaturesRequest*,
                        cpb::FeaturesResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status Ping(grpc::ServerContext*, const cpb::PingRequest*, cpb::PingResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status Get(grpc::ServerContext*, const cpb::GetRequest* request,
                   cpb::GetResponse*) override {
    return Kit("quota exceeded reading " + request->key());
  }
  grpc::Status Set(grpc::ServerContext*, const cpb::SetRequest* request,
                   cpb::SetResponse*) override {
    return Kit("quota exceeded writing " + request->key());
  }
};

}  // namespace

TEST_CASE("lookups of every building block carry daprd's ErrorInfo", "[integration][errors]") {
  TempDir dir;
  RunningHost host(dir, dir.path());  // the embedded defaults: one instance of each kind
  REQUIRE(host.started());

  CheckReason(GetState(host, "nosuch", "k"), grpc::StatusCode::INVALID_ARGUMENT,
              "DAPR_STATE_NOT_FOUND");

  auto publish = Publish(host, "nosuch");
  CheckReason(publish, grpc::StatusCode::INVALID_ARGUMENT, "DAPR_PUBSUB_NOT_FOUND");
  auto details = Read(publish);
  REQUIRE(details.has_resource);
  CHECK(details.resource.resource_name() == "nosuch");
  CHECK(details.resource.description() == publish.error_message());
  CHECK(details.error_info_index < details.resource_index);  // daprd's order for pub/sub
  CheckReason(Publish(host, ""), grpc::StatusCode::INVALID_ARGUMENT, "DAPR_PUBSUB_NAME_EMPTY");

  CheckReason(GetSecret(host, "nosuch"), grpc::StatusCode::INVALID_ARGUMENT,
              "ERR_SECRET_STORE_NOT_FOUND");
  CHECK(Read(GetSecret(host, "nosuch")).info.metadata().at("store") == "nosuch");

  auto configuration = GetConfiguration(host, "nosuch");
  CheckReason(configuration, grpc::StatusCode::INVALID_ARGUMENT,
              "DAPR_CONFIGURATION_STORE_NOT_FOUND");
  auto configuration_details = Read(configuration);
  CHECK(configuration_details.resource.resource_type() == "configuration");
  CHECK(configuration_details.resource_index < configuration_details.error_info_index);

  CheckReason(TryLock(host, "nosuch"), grpc::StatusCode::INVALID_ARGUMENT, "DAPR_LOCK_NOT_FOUND");

  auto binding = InvokeBinding(host, "nosuch");
  CheckReason(binding, grpc::StatusCode::INTERNAL, "DAPR_BINDING_INVOKE_OUTPUT_BINDING");
  auto binding_details = Read(binding);
  CHECK(binding_details.resource.resource_type() == "binding");
  CHECK(binding_details.resource.resource_name() == "nosuch");
  CHECK(binding_details.info.metadata().at("name") == "nosuch");
}

TEST_CASE("a kind with no instance answers not configured, with daprd's reason",
          "[integration][errors]") {
  TempDir dir;
  KitErrorStore store;
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + dir.File("kit.sock"), grpc::InsecureServerCredentials());
  builder.RegisterService(&store);
  auto server = builder.BuildAndStart();
  REQUIRE(server);
  WriteFile(dir.File("config.json"), R"({"components": [
      {"name": "kitstore", "type": "state.kit", "metadata": {"keyPrefix": "none"}}]})");
  RunningHost host(dir, dir.path(), {"--config", dir.File("config.json")});
  REQUIRE(host.started());

  CheckReason(Publish(host, "pubsub"), grpc::StatusCode::INVALID_ARGUMENT,
              "DAPR_PUBSUB_NOT_FOUND");  // daprd answers not found here too
  CheckReason(GetSecret(host, "secretstore"), grpc::StatusCode::FAILED_PRECONDITION,
              "ERR_SECRET_STORES_NOT_CONFIGURED");
  CheckReason(GetConfiguration(host, "configstore"), grpc::StatusCode::FAILED_PRECONDITION,
              "DAPR_CONFIGURATION_STORE_NOT_CONFIGURED");
  CheckReason(TryLock(host, "lockstore"), grpc::StatusCode::FAILED_PRECONDITION,
              "DAPR_LOCK_NOT_CONFIGURED");

  // State-level errors name the store in a ResourceInfo.
  auto illegal = GetState(host, "kitstore", "a||b");
  CheckReason(illegal, grpc::StatusCode::INVALID_ARGUMENT, "DAPR_STATE_ILLEGAL_KEY");
  {
    google::rpc::Status rich;
    REQUIRE(rich.ParseFromString(illegal.error_details()));
    REQUIRE(rich.details_size() == 3);  // BadRequest, ResourceInfo, ErrorInfo: daprd's order
    google::rpc::BadRequest bad_request;
    REQUIRE(rich.details(0).UnpackTo(&bad_request));
    CHECK(bad_request.field_violations(0).field() == "a||b");
    auto details = Read(illegal);
    CHECK(details.resource.resource_type() == "state");
    CHECK(details.resource.resource_name() == "kitstore");
  }
  rt::ExecuteStateTransactionRequest transaction;
  transaction.set_storename("kitstore");
  google::protobuf::Empty none;
  CheckReason(host.dapr().ExecuteStateTransaction(Deadline().get(), transaction, &none),
              grpc::StatusCode::UNIMPLEMENTED, "DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED");
  rt::QueryStateRequest query;
  query.set_store_name("kitstore");
  query.set_query("{}");
  rt::QueryStateResponse queried;
  CheckReason(host.dapr().QueryStateAlpha1(Deadline().get(), query, &queried),
              grpc::StatusCode::UNIMPLEMENTED, "DAPR_STATE_QUERYING_NOT_SUPPORTED");

  SECTION("a component's kit error reaches the app as the component sent it") {
    auto get = GetState(host, "kitstore", "k1");
    INFO(get.error_message());
    CHECK(get.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(get.error_message() == "quota exceeded reading k1");
    auto details = Read(get);
    CHECK(details.count == 1);
    REQUIRE(details.has_error_info);
    CHECK(details.info.reason() == "MYSTORE_QUOTA_EXCEEDED");
    CHECK(details.info.domain() == "mystore.example.com");
    CHECK(details.info.metadata().empty());  // daprd keeps reason and domain only

    rt::SaveStateRequest save;
    save.set_store_name("kitstore");
    auto* item = save.add_states();
    item->set_key("k2");
    item->set_value("v");
    google::protobuf::Empty empty;
    auto saved = host.dapr().SaveState(Deadline().get(), save, &empty);
    CHECK(saved.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(saved.error_message() == "quota exceeded writing k2");
    CHECK(Read(saved).info.reason() == "MYSTORE_QUOTA_EXCEEDED");
  }
  server->Shutdown();
}

}  // namespace plughost::testing
