// The Dapr API's configuration handlers served in-process over a real socket, on a real
// configuration.in-memory store: the stream's first message, updates, the three ways a stream
// ends (UnsubscribeConfiguration, the app cancelling, the host closing them all) and errors.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "host/api/dapr_api.h"
#include "host/builtins/in_memory_configuration_store.h"
#include "host/common/limit_hits.h"

namespace plughost {
namespace {

namespace rt = ::dapr::proto::runtime::v1;

struct ApiFixture {
  ApiFixture() {
    char pattern[] = "/tmp/ph-capi-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    file = dir + "/items.json";
    WriteItems(R"({"color": "red"})");

    store = std::make_shared<InMemoryConfigurationStore>(std::chrono::milliseconds(20));
    std::optional<grpc::Status> init;
    store->Init(InitSpec{"local", "configuration.in-memory", {{"file", file}, {"size", "1"}}},
                [&](grpc::Status status) { init = status; });
    REQUIRE(init.has_value());
    REQUIRE(init->ok());
    InstanceInfo info;
    info.name = "local";
    info.type = "configuration.in-memory";
    info.kind = ComponentKind::kConfiguration;
    info.source = "built-in";
    info.component = store;
    REQUIRE(instances.Add(std::move(info)).ok());

    context.instances = &instances;
    api = std::make_unique<DaprApi>(&context);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + dir + "/api.sock", grpc::InsecureServerCredentials());
    builder.RegisterService(api.get());
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    dapr = rt::Dapr::NewStub(
        grpc::CreateChannel("unix:" + dir + "/api.sock", grpc::InsecureChannelCredentials()));
  }
  ~ApiFixture() {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server.reset();
    std::filesystem::remove_all(dir);
  }
  void WriteItems(const std::string& content) const {
    std::ofstream(file + ".tmp") << content;
    std::filesystem::rename(file + ".tmp", file);
  }

  std::string dir, file;
  std::shared_ptr<InMemoryConfigurationStore> store;
  InstanceTable instances;
  ApiContext context;
  std::unique_ptr<DaprApi> api;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<rt::Dapr::Stub> dapr;
};

struct Stream {
  Stream(rt::Dapr::Stub& dapr, const std::string& store, std::vector<std::string> keys) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    rt::SubscribeConfigurationRequest request;
    request.set_store_name(store);
    for (auto& key : keys) request.add_keys(key);
    reader = dapr.SubscribeConfiguration(&context, request);
  }
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<rt::SubscribeConfigurationResponse>> reader;
};

rt::UnsubscribeConfigurationResponse Unsubscribe(rt::Dapr::Stub& dapr, const std::string& id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  rt::UnsubscribeConfigurationRequest request;
  request.set_store_name("local");
  request.set_id(id);
  rt::UnsubscribeConfigurationResponse response;
  REQUIRE(dapr.UnsubscribeConfiguration(&context, request, &response).ok());
  return response;
}

}  // namespace

TEST_CASE("Dapr API: a subscription's first message, its updates and Unsubscribe",
          "[configuration]") {
  ApiFixture fixture;
  Stream stream(*fixture.dapr, "local", {"color"});
  rt::SubscribeConfigurationResponse message;
  REQUIRE(stream.reader->Read(&message));
  std::string id = message.id();
  CHECK_FALSE(id.empty());
  CHECK(message.items().empty());
  CHECK(fixture.store->subscriber_count() == 1);

  fixture.WriteItems(R"({"color": "green"})");
  REQUIRE(stream.reader->Read(&message));
  CHECK(message.id() == id);
  REQUIRE(message.items().count("color"));
  CHECK(message.items().at("color").value() == "green");
  CHECK(message.items().at("color").version() == "2");

  CHECK(Unsubscribe(*fixture.dapr, id).ok());
  CHECK(fixture.store->subscriber_count() == 0);  // closed before Unsubscribe answered
  CHECK_FALSE(stream.reader->Read(&message));
  CHECK(stream.reader->Finish().ok());
  CHECK_FALSE(Unsubscribe(*fixture.dapr, id).ok());
}

TEST_CASE("Dapr API: an app that cancels its stream is unsubscribed", "[configuration]") {
  ApiFixture fixture;
  Stream stream(*fixture.dapr, "local", {});
  rt::SubscribeConfigurationResponse message;
  REQUIRE(stream.reader->Read(&message));
  std::string id = message.id();
  stream.context.TryCancel();
  while (stream.reader->Read(&message)) {
  }
  CHECK(stream.reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
  // The host sees the cancellation asynchronously: wait (generously) until it has closed the
  // store's subscription, which it does after forgetting the id.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (fixture.store->subscriber_count() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(fixture.store->subscriber_count() == 0);
  CHECK_FALSE(Unsubscribe(*fixture.dapr, id).ok());
}

TEST_CASE("Dapr API: closing every subscription ends the streams with OK", "[configuration]") {
  ApiFixture fixture;
  Stream first(*fixture.dapr, "local", {"color"});
  Stream second(*fixture.dapr, "local", {"size"});
  rt::SubscribeConfigurationResponse message;
  REQUIRE(first.reader->Read(&message));
  std::string first_id = message.id();
  REQUIRE(second.reader->Read(&message));
  fixture.api->CloseConfigurationSubscriptions();
  CHECK_FALSE(first.reader->Read(&message));
  CHECK(first.reader->Finish().ok());
  CHECK_FALSE(second.reader->Read(&message));
  CHECK(second.reader->Finish().ok());
  CHECK_FALSE(Unsubscribe(*fixture.dapr, first_id).ok());
}

TEST_CASE("Dapr API: configuration lookups fail with Dapr's errors", "[configuration]") {
  ApiFixture fixture;
  grpc::ClientContext context;
  rt::GetConfigurationRequest request;
  request.set_store_name("other");
  rt::GetConfigurationResponse response;
  auto status = fixture.dapr->GetConfigurationAlpha1(&context, request, &response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "configuration store other not found");

  Stream stream(*fixture.dapr, "other", {"a"});
  rt::SubscribeConfigurationResponse message;
  CHECK_FALSE(stream.reader->Read(&message));
  auto finished = stream.reader->Finish();
  CHECK(finished.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(finished.error_message() == "configuration store other not found");

  grpc::ClientContext get_context;
  request.set_store_name("local");
  request.add_keys("size");
  REQUIRE(fixture.dapr->GetConfiguration(&get_context, request, &response).ok());
  REQUIRE(response.items().count("size"));
  CHECK(response.items().at("size").value() == "1");
}

}  // namespace plughost

namespace plughost {

TEST_CASE("Dapr API: an app that stops reading has its stream ended, not a queue that grows",
          "[configuration]") {
  ApiFixture fixture;
  fixture.context.max_pending_configuration_updates = 4;
  Stream stream(*fixture.dapr, "local", {"color"});
  rt::SubscribeConfigurationResponse message;
  REQUIRE(stream.reader->Read(&message));  // the id; after this the app reads nothing

  // Large updates fill the transport's buffers, so the host's writes stop completing and the
  // updates queue in the host, until the bound ends the stream.
  auto hits_before = limit_hits::Hits(limit_hits::Limit::kConfigurationQueueFull);
  bool bounded = false;
  for (int i = 0; i < 400 && !bounded; ++i) {
    fixture.WriteItems(R"({"color": ")" + std::string(512 << 10, static_cast<char>('a' + i % 26)) +
                       std::to_string(i) + R"("})");
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    bounded = limit_hits::Hits(limit_hits::Limit::kConfigurationQueueFull) > hits_before;
  }
  REQUIRE(bounded);
  // The app reads what was written before the bound, then the end of the stream.
  while (stream.reader->Read(&message)) {
  }
  auto status = stream.reader->Finish();
  CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(status.error_message() == "configuration updates not read in time: subscribe again");
  for (int i = 0; i < 500 && fixture.store->subscriber_count() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(fixture.store->subscriber_count() == 0);
}

}  // namespace plughost
