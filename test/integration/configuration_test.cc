// GetConfiguration, SubscribeConfiguration and UnsubscribeConfiguration through the real host,
// on the built-in configuration.in-memory (changes made by rewriting its file) and on the C++
// sample component's Configuration service (changes driven through its "__set__." hook), plus
// Layotto's GetConfiguration and Dapr's errors.
#include <catch2/catch.hpp>
#include <signal.h>

#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
namespace layotto = ::spec::proto::runtime::v1;

using Items = std::map<std::string, std::string>;  // key -> value

// Replaces the file in one step, as config tools do, so the host never reads half of it.
void ReplaceFile(const std::string& path, const std::string& content) {
  WriteFile(path + ".tmp", content);
  std::filesystem::rename(path + ".tmp", path);
}

Items ValuesOf(
    const google::protobuf::Map<std::string, dapr::proto::common::v1::ConfigurationItem>& items) {
  Items values;
  for (const auto& [key, item] : items) values[key] = item.value();
  return values;
}

grpc::Status GetConfiguration(rt::Dapr::Stub& dapr, const std::string& store,
                              std::vector<std::string> keys, rt::GetConfigurationResponse* out,
                              std::map<std::string, std::string> metadata = {},
                              bool alpha = false) {
  rt::GetConfigurationRequest request;
  request.set_store_name(store);
  for (auto& key : keys) request.add_keys(key);
  request.mutable_metadata()->insert(metadata.begin(), metadata.end());
  return alpha ? dapr.GetConfigurationAlpha1(Deadline().get(), request, out)
               : dapr.GetConfiguration(Deadline().get(), request, out);
}

// One app subscription: a streaming call with a generous deadline, so a missing message fails
// the test rather than hanging it.
struct AppSubscription {
  AppSubscription(rt::Dapr::Stub& dapr, const std::string& store, std::vector<std::string> keys,
                  bool alpha = false) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    rt::SubscribeConfigurationRequest request;
    request.set_store_name(store);
    for (auto& key : keys) request.add_keys(key);
    reader = alpha ? dapr.SubscribeConfigurationAlpha1(&context, request)
                   : dapr.SubscribeConfiguration(&context, request);
  }
  bool Next(rt::SubscribeConfigurationResponse* message) { return reader->Read(message); }

  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<rt::SubscribeConfigurationResponse>> reader;
};

// Reads until a message holds `key` with `value`; false if the stream ends first.
bool ReadUntil(AppSubscription& subscription, const std::string& id, const std::string& key,
               const std::string& value, rt::SubscribeConfigurationResponse* found) {
  while (subscription.Next(found)) {
    CHECK(found->id() == id);
    auto it = found->items().find(key);
    if (it != found->items().end() && it->second.value() == value) return true;
  }
  return false;
}

rt::UnsubscribeConfigurationResponse Unsubscribe(rt::Dapr::Stub& dapr, const std::string& store,
                                                 const std::string& id, bool alpha = false) {
  rt::UnsubscribeConfigurationRequest request;
  request.set_store_name(store);
  request.set_id(id);
  rt::UnsubscribeConfigurationResponse response;
  auto status = alpha ? dapr.UnsubscribeConfigurationAlpha1(Deadline().get(), request, &response)
                      : dapr.UnsubscribeConfiguration(Deadline().get(), request, &response);
  REQUIRE(status.ok());
  return response;
}

// The sample's count of open subscriptions for an instance (its "__subscribers__" hook), or -1
// while the store cannot answer (e.g. its component is restarting).
int OpenSubscriptions(rt::Dapr::Stub& dapr, const std::string& store) {
  rt::GetConfigurationResponse response;
  rt::GetConfigurationRequest request;
  request.set_store_name(store);
  request.add_keys("__subscribers__");
  (*request.mutable_metadata())["__subscribers__"] = "";
  auto status = dapr.GetConfiguration(Deadline().get(), request, &response);
  if (!status.ok()) return -1;
  return std::stoi(response.items().at("__subscribers__").value());
}

// Opening and closing reach the component asynchronously; waits (generously) for the count.
bool WaitForOpenSubscriptions(rt::Dapr::Stub& dapr, const std::string& store, int count) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (OpenSubscriptions(dapr, store) != count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Writes the files the host reads at startup; returns the config path.
std::string WriteConfigurationConfig(const TempDir& dir) {
  ReplaceFile(dir.File("items.json"),
              R"({"color": "red", "limit": {"value": "5", "version": "v9",
                  "metadata": {"owner": "ops"}}})");
  WriteFile(dir.File("config.json"), R"({
    "app_id": "config-app",
    "components": [
      {"name": "local", "type": "configuration.in-memory",
       "metadata": {"file": ")" + dir.File("items.json") +
                                         R"(", "shape": "round"}},
      {"name": "remote", "type": "configuration.cpp-sample",
       "metadata": {"config.color": "blue", "config.size": "10"}}
    ]})");
  return dir.File("config.json");
}

// Members start in order: files, then the sample component, then the host.
struct ConfigurationEnv {
  TempDir dir;
  std::string config = WriteConfigurationConfig(dir);
  std::unique_ptr<ChildProcess> sample = StartSampleComponent(dir, "cpp-sample");
  RunningHost host{dir, dir.path(), {"--config", config}};
};

}  // namespace

TEST_CASE("GetConfiguration on the built-in and the pluggable store",
          "[integration][configuration]") {
  ConfigurationEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  rt::GetConfigurationResponse response;
  REQUIRE(GetConfiguration(dapr, "local", {}, &response).ok());
  CHECK(ValuesOf(response.items()) == Items{{"color", "red"}, {"limit", "5"}, {"shape", "round"}});
  CHECK(response.items().at("limit").version() == "v9");
  CHECK(response.items().at("limit").metadata().at("owner") == "ops");
  CHECK(response.items().at("shape").version() == "1");

  // Only the asked keys; the Alpha1 name answers the same.
  response.Clear();
  REQUIRE(
      GetConfiguration(dapr, "local", {"color", "nothing"}, &response, {}, /*alpha=*/true).ok());
  CHECK(ValuesOf(response.items()) == Items{{"color", "red"}});

  response.Clear();
  REQUIRE(GetConfiguration(dapr, "remote", {}, &response).ok());
  CHECK(ValuesOf(response.items()) == Items{{"color", "blue"}, {"size", "10"}});
  CHECK(response.items().at("color").version() == "1");

  // Layotto's GetConfiguration reads the same stores: content = value, sorted by key.
  layotto::GetConfigurationRequest request;
  request.set_store_name("remote");
  request.set_group("g1");
  request.add_keys("size");
  request.add_keys("color");
  layotto::GetConfigurationResponse layotto_response;
  REQUIRE(env.host.layotto().GetConfiguration(Deadline().get(), request, &layotto_response).ok());
  REQUIRE(layotto_response.items_size() == 2);
  CHECK(layotto_response.items(0).key() == "color");
  CHECK(layotto_response.items(0).content() == "blue");
  CHECK(layotto_response.items(0).group() == "g1");
  CHECK(layotto_response.items(0).metadata().at("version") == "1");
  CHECK(layotto_response.items(1).key() == "size");
  CHECK(layotto_response.items(1).content() == "10");
}

TEST_CASE("SubscribeConfiguration on configuration.in-memory follows its file",
          "[integration][configuration]") {
  ConfigurationEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  AppSubscription subscription(dapr, "local", {"color"});
  // First message: the id, and no items (what Dapr's SDKs wait for).
  rt::SubscribeConfigurationResponse message;
  REQUIRE(subscription.Next(&message));
  std::string id = message.id();
  CHECK_FALSE(id.empty());
  CHECK(message.items().empty());

  // A change to a key it watches arrives; a change to another key alone does not.
  ReplaceFile(env.dir.File("items.json"), R"({"color": "red", "limit": "6"})");
  ReplaceFile(env.dir.File("items.json"), R"({"color": "purple", "limit": "6"})");
  REQUIRE(ReadUntil(subscription, id, "color", "purple", &message));
  CHECK(message.items().count("limit") == 0);
  CHECK(message.items().at("color").version() == "2");
  rt::GetConfigurationResponse now;
  REQUIRE(GetConfiguration(dapr, "local", {"color", "limit"}, &now).ok());
  CHECK(ValuesOf(now.items()) == Items{{"color", "purple"}, {"limit", "6"}});

  // UnsubscribeConfiguration ends the stream cleanly; a second time the id is unknown.
  auto response = Unsubscribe(dapr, "local", id);
  CHECK(response.ok());
  CHECK_FALSE(subscription.Next(&message));
  CHECK(subscription.reader->Finish().ok());
  auto again = Unsubscribe(dapr, "local", id, /*alpha=*/true);
  CHECK_FALSE(again.ok());
  CHECK(again.message() ==
        "failed to unsubscribe to configuration request " + id + ": subscription does not exist");
}

TEST_CASE("SubscribeConfiguration on the pluggable sample, changes driven through the host",
          "[integration][configuration]") {
  ConfigurationEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  AppSubscription watch_color(dapr, "remote", {"color"}, /*alpha=*/true);
  AppSubscription watch_all(dapr, "remote", {});
  rt::SubscribeConfigurationResponse message;
  REQUIRE(watch_color.Next(&message));
  std::string color_id = message.id();
  CHECK(message.items().empty());
  REQUIRE(watch_all.Next(&message));
  std::string all_id = message.id();
  CHECK(message.items().empty());
  CHECK(color_id != all_id);
  CHECK_FALSE(color_id.empty());

  // The sample's hook: request metadata "__set__.<key>" on a Get changes the item and pushes it.
  rt::GetConfigurationResponse ignored;
  REQUIRE(GetConfiguration(dapr, "remote", {}, &ignored, {{"__set__.size", "11"}}).ok());
  REQUIRE(GetConfiguration(dapr, "remote", {}, &ignored, {{"__set__.color", "green"}}).ok());
  REQUIRE(ReadUntil(watch_all, all_id, "size", "11", &message));
  REQUIRE(ReadUntil(watch_all, all_id, "color", "green", &message));
  CHECK(message.items().at("color").version() == "2");
  // The color watcher's first change is the color one: the size change never reached it.
  REQUIRE(watch_color.Next(&message));
  CHECK(message.id() == color_id);
  CHECK(Items(ValuesOf(message.items())) == Items{{"color", "green"}});

  // The app cancels its stream: the host closes the component's subscription (the sample
  // reports how many it has open) and forgets the id.
  CHECK(OpenSubscriptions(dapr, "remote") == 2);
  watch_color.context.TryCancel();
  while (watch_color.Next(&message)) {
  }
  CHECK(watch_color.reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
  REQUIRE(WaitForOpenSubscriptions(dapr, "remote", 1));
  auto stale = Unsubscribe(dapr, "remote", color_id);
  CHECK_FALSE(stale.ok());
  CHECK_THAT(stale.message(), Catch::Contains("subscription does not exist"));

  // The other subscription is untouched and still receives changes.
  REQUIRE(GetConfiguration(dapr, "remote", {}, &ignored, {{"__set__.color", "black"}}).ok());
  REQUIRE(ReadUntil(watch_all, all_id, "color", "black", &message));
  CHECK(Unsubscribe(dapr, "remote", all_id).ok());
  CHECK_FALSE(watch_all.Next(&message));
  CHECK(watch_all.reader->Finish().ok());
  CHECK(WaitForOpenSubscriptions(dapr, "remote", 0));
}

TEST_CASE("a configuration subscription survives a restart of its component",
          "[integration][configuration]") {
  ConfigurationEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  AppSubscription watch(dapr, "remote", {"color"});
  rt::SubscribeConfigurationResponse message;
  REQUIRE(watch.Next(&message));
  std::string id = message.id();
  REQUIRE(WaitForOpenSubscriptions(dapr, "remote", 1));

  env.sample->Signal(SIGKILL);
  REQUIRE(env.sample->WaitExit(std::chrono::seconds(10)).has_value());
  env.sample = StartSampleComponent(env.dir, "cpp-sample");
  REQUIRE(env.sample);
  // The host initialises the new process again and reopens the subscription on it.
  REQUIRE(WaitForOpenSubscriptions(dapr, "remote", 1));
  rt::GetConfigurationResponse response;
  REQUIRE(GetConfiguration(dapr, "remote", {"size"}, &response).ok());
  CHECK(ValuesOf(response.items()) == Items{{"size", "10"}});  // Init metadata replayed

  // The app's stream, never interrupted, carries the new process's changes under its old id.
  REQUIRE(GetConfiguration(dapr, "remote", {}, &response, {{"__set__.color", "after"}}).ok());
  REQUIRE(ReadUntil(watch, id, "color", "after", &message));
  CHECK(Unsubscribe(dapr, "remote", id).ok());
  CHECK_FALSE(watch.Next(&message));
}

TEST_CASE("host shutdown ends open configuration streams", "[integration][configuration]") {
  ConfigurationEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  AppSubscription local(dapr, "local", {});
  AppSubscription remote(dapr, "remote", {});
  rt::SubscribeConfigurationResponse message;
  REQUIRE(local.Next(&message));
  REQUIRE(remote.Next(&message));

  google::protobuf::Empty empty;
  REQUIRE(dapr.Shutdown(Deadline().get(), rt::ShutdownRequest{}, &empty).ok());
  CHECK_FALSE(local.Next(&message));
  CHECK(local.reader->Finish().ok());
  CHECK_FALSE(remote.Next(&message));
  CHECK(remote.reader->Finish().ok());
  auto code = env.host.process().WaitExit(std::chrono::seconds(30));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

TEST_CASE("configuration errors carry Dapr's codes and messages", "[integration][configuration]") {
  ConfigurationEnv env;
  REQUIRE(env.sample);
  INFO(env.host.Log());
  REQUIRE(env.host.started());
  auto& dapr = env.host.dapr();

  rt::GetConfigurationResponse response;
  auto unknown = GetConfiguration(dapr, "nope", {"a"}, &response);
  CHECK(unknown.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(unknown.error_message() == "configuration store nope not found");

  AppSubscription subscription(dapr, "nope", {"a"});
  rt::SubscribeConfigurationResponse message;
  CHECK_FALSE(subscription.Next(&message));
  auto status = subscription.reader->Finish();
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "configuration store nope not found");

  auto never = Unsubscribe(dapr, "local", "never-issued");
  CHECK_FALSE(never.ok());
  CHECK(never.message() ==
        "failed to unsubscribe to configuration request never-issued: "
        "subscription does not exist");

  layotto::GetConfigurationRequest request;
  request.set_store_name("nope");
  layotto::GetConfigurationResponse layotto_response;
  auto layotto_status =
      env.host.layotto().GetConfiguration(Deadline().get(), request, &layotto_response);
  // Layotto's untyped error, which gRPC sends as UNKNOWN.
  CHECK(layotto_status.error_code() == grpc::StatusCode::UNKNOWN);
  CHECK(layotto_status.error_message() == "configure store [nope] don't support now");
}

TEST_CASE("with no configuration store, configuration calls fail as in Dapr",
          "[integration][configuration]") {
  TempDir dir;
  WriteFile(dir.File("config.json"),
            R"({"components": [{"name": "statestore", "type": "state.in-memory"}]})");
  RunningHost host(dir, dir.path(), {"--config", dir.File("config.json")});
  REQUIRE(host.started());
  rt::GetConfigurationResponse response;
  auto status = GetConfiguration(host.dapr(), "local", {}, &response);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(status.error_message() == "configuration stores not configured");

  AppSubscription subscription(host.dapr(), "local", {});
  rt::SubscribeConfigurationResponse message;
  CHECK_FALSE(subscription.Next(&message));
  CHECK(subscription.reader->Finish().error_code() == grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace plughost::testing
