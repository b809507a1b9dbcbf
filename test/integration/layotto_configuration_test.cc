// Layotto's configuration API through the real host: SaveConfiguration, DeleteConfiguration
// and the bidirectional SubscribeConfiguration on the built-in configuration.in-memory; the
// pluggable store's UNIMPLEMENTED writes; Layotto's answer for unknown stores; and a stream
// whose app stops reading, dropped with RESOURCE_EXHAUSTED.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace layotto = ::spec::proto::runtime::v1;

std::string WriteConfig(const TempDir& dir) {
  WriteFile(dir.File("items.json"), R"({"color": "red"})");
  WriteFile(dir.File("config.json"), R"({
    "app_id": "config-app",
    "components": [
      {"name": "local", "type": "configuration.in-memory",
       "metadata": {"file": ")" + dir.File("items.json") +
                                         R"("}},
      {"name": "remote", "type": "configuration.cpp-sample",
       "metadata": {"config.color": "blue"}}
    ]})");
  return dir.File("config.json");
}

struct LayottoEnv {
  TempDir dir;
  std::string config = WriteConfig(dir);
  std::unique_ptr<ChildProcess> sample = StartSampleComponent(dir, "cpp-sample");
  RunningHost host{dir, dir.path(), {"--config", config}};
};

grpc::Status Save(layotto::Runtime::Stub& stub, const std::string& store,
                  std::map<std::string, std::string> values) {
  layotto::SaveConfigurationRequest request;
  request.set_store_name(store);
  for (auto& [key, value] : values) {
    auto* item = request.add_items();
    item->set_key(key);
    item->set_content(value);
  }
  google::protobuf::Empty empty;
  return stub.SaveConfiguration(Deadline().get(), request, &empty);
}

grpc::Status Delete(layotto::Runtime::Stub& stub, const std::string& store,
                    std::vector<std::string> keys) {
  layotto::DeleteConfigurationRequest request;
  request.set_store_name(store);
  for (auto& key : keys) request.add_keys(key);
  google::protobuf::Empty empty;
  return stub.DeleteConfiguration(Deadline().get(), request, &empty);
}

struct LayottoSubscription {
  explicit LayottoSubscription(layotto::Runtime::Stub& stub) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stream = stub.SubscribeConfiguration(&context);
  }
  bool Subscribe(const std::string& store, std::vector<std::string> keys) {
    layotto::SubscribeConfigurationRequest request;
    request.set_store_name(store);
    for (auto& key : keys) request.add_keys(key);
    return stream->Write(request);
  }
  // Reads until an update holds `key` with `content`; false if the stream ends first.
  bool ReadUntil(const std::string& key, const std::string& content,
                 layotto::SubscribeConfigurationResponse* found) {
    while (stream->Read(found)) {
      for (const auto& item : found->items()) {
        if (item.key() == key && item.content() == content) return true;
      }
    }
    return false;
  }
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<layotto::SubscribeConfigurationRequest,
                                           layotto::SubscribeConfigurationResponse>>
      stream;
};

// The subscription is in place once a change made after it arrives: saves `key` from another
// thread, with a new value each time (saving an unchanged value notifies nobody), until the
// stream delivers it.
bool WaitSubscribed(layotto::Runtime::Stub& stub, LayottoSubscription& subscription,
                    const std::string& store, const std::string& key) {
  std::atomic<bool> seen{false};
  std::thread pinger([&] {
    for (int i = 0; !seen; ++i) {
      Save(stub, store, {{key, "ping-" + std::to_string(i)}});
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  layotto::SubscribeConfigurationResponse update;
  bool found = false;
  while (!found && subscription.stream->Read(&update)) {
    for (const auto& item : update.items()) {
      if (item.key() == key && item.content().rfind("ping-", 0) == 0) found = true;
    }
  }
  seen = true;
  pinger.join();
  return found;
}

}  // namespace

TEST_CASE("Layotto's Save, Delete and SubscribeConfiguration on configuration.in-memory",
          "[integration][configuration][layotto]") {
  LayottoEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& stub = env.host.layotto();

  LayottoSubscription subscription(stub);
  REQUIRE(subscription.Subscribe("local", {"color", "fresh"}));
  REQUIRE(WaitSubscribed(stub, subscription, "local", "fresh"));
  layotto::SubscribeConfigurationResponse update;
  REQUIRE(Save(stub, "local", {{"color", "green"}}).ok());
  REQUIRE(subscription.ReadUntil("color", "green", &update));
  CHECK(update.store_name() == "local");
  CHECK(update.app_id() == "config-app");
  REQUIRE(update.items_size() == 1);
  CHECK(update.items(0).metadata().at("version") == "2");

  // Empty content deletes; so does DeleteConfiguration. Subscribers see empty content.
  REQUIRE(Save(stub, "local", {{"color", ""}}).ok());
  REQUIRE(subscription.ReadUntil("color", "", &update));
  REQUIRE(Save(stub, "local", {{"fresh", "again"}}).ok());
  REQUIRE(subscription.ReadUntil("fresh", "again", &update));
  REQUIRE(Delete(stub, "local", {"fresh"}).ok());
  REQUIRE(subscription.ReadUntil("fresh", "", &update));

  layotto::GetConfigurationRequest get;
  get.set_store_name("local");
  layotto::GetConfigurationResponse got;
  REQUIRE(stub.GetConfiguration(Deadline().get(), get, &got).ok());
  CHECK(got.items_size() == 0);

  // As in Layotto, the app closing its side ends the stream.
  subscription.stream->WritesDone();
  while (subscription.stream->Read(&update)) {
  }
  CHECK(subscription.stream->Finish().ok());
}

TEST_CASE("Layotto's configuration writes: pluggable stores and unknown stores",
          "[integration][configuration][layotto]") {
  LayottoEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& stub = env.host.layotto();

  // plughost's Configuration component protocol has no write RPCs.
  CHECK(Save(stub, "remote", {{"color", "x"}}).error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(Delete(stub, "remote", {"color"}).error_code() == grpc::StatusCode::UNIMPLEMENTED);

  // Layotto's untyped error for an unknown store, which gRPC sends as UNKNOWN.
  auto unknown_save = Save(stub, "nope", {{"a", "b"}});
  CHECK(unknown_save.error_code() == grpc::StatusCode::UNKNOWN);
  CHECK(unknown_save.error_message() == "configure store [nope] don't support now");
  CHECK(Delete(stub, "nope", {"a"}).error_code() == grpc::StatusCode::UNKNOWN);

  LayottoSubscription subscription(stub);
  REQUIRE(subscription.Subscribe("nope", {"a"}));
  layotto::SubscribeConfigurationResponse update;
  CHECK_FALSE(subscription.stream->Read(&update));
  auto status = subscription.stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::UNKNOWN);
  CHECK(status.error_message() == "configure store [nope] don't support now");
}

TEST_CASE("a Layotto configuration stream the app does not read is dropped",
          "[integration][configuration][layotto]") {
  LayottoEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& stub = env.host.layotto();

  LayottoSubscription subscription(stub);
  REQUIRE(subscription.Subscribe("local", {"big"}));
  REQUIRE(WaitSubscribed(stub, subscription, "local", "big"));
  // Far more than the queue bound plus what the sockets and HTTP/2 windows hold: 1,000
  // updates of 100 KB each, none read.
  std::string content(100 * 1024, 'x');
  for (int i = 0; i < 1000; ++i) {
    content[0] = static_cast<char>('a' + i % 26);
    content[1] = static_cast<char>('a' + i / 26 % 26);
    REQUIRE(Save(stub, "local", {{"big", content}}).ok());
  }
  layotto::SubscribeConfigurationResponse update;
  int received = 0;
  while (subscription.stream->Read(&update)) ++received;
  CHECK(received < 1000);
  auto status = subscription.stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_CASE("host shutdown ends open Layotto configuration streams",
          "[integration][configuration][layotto]") {
  LayottoEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  LayottoSubscription subscription(env.host.layotto());
  REQUIRE(subscription.Subscribe("local", {"k"}));
  REQUIRE(WaitSubscribed(env.host.layotto(), subscription, "local", "k"));

  google::protobuf::Empty empty;
  REQUIRE(env.host.dapr()
              .Shutdown(Deadline().get(), dapr::proto::runtime::v1::ShutdownRequest{}, &empty)
              .ok());
  layotto::SubscribeConfigurationResponse update;
  while (subscription.stream->Read(&update)) {
  }
  CHECK(subscription.stream->Finish().ok());
  auto code = env.host.process().WaitExit(std::chrono::seconds(30));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

}  // namespace plughost::testing
