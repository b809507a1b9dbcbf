#include "host/builtins/in_memory_configuration_store.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "test/configuration/update_collector.h"

namespace plughost {
namespace {

using std::chrono::milliseconds;
using testing::UpdateCollector;

// A fast poll keeps the tests quick; nothing asserts how soon a change arrives.
constexpr milliseconds kPoll{20};

class TempFile {
 public:
  TempFile() {
    char pattern[] = "/tmp/ph-config-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir_ = pattern;
    path_ = dir_ + "/config.json";
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }
  // Written beside and renamed over, as editors and config tools do, so a reader never sees
  // half a file.
  void Write(const std::string& content) const {
    std::string temp = path_ + ".tmp";
    std::ofstream(temp) << content;
    std::filesystem::rename(temp, path_);
  }

 private:
  std::string dir_;
  std::string path_;
};

grpc::Status Init(InMemoryConfigurationStore& store, std::map<std::string, std::string> metadata) {
  std::optional<grpc::Status> result;
  store.Init(InitSpec{"config", "configuration.in-memory", std::move(metadata)},
             [&](grpc::Status status) { result = status; });
  REQUIRE(result.has_value());
  return *result;
}

std::map<std::string, configpb::ConfigurationItem> Get(InMemoryConfigurationStore& store,
                                                       std::vector<std::string> keys = {}) {
  configpb::GetConfigurationRequest request;
  for (auto& key : keys) request.add_keys(key);
  std::map<std::string, configpb::ConfigurationItem> items;
  bool called = false;
  store.Get(request, CallOptions{},
            [&](grpc::Status status, configpb::GetConfigurationResponse response) {
              called = true;
              CHECK(status.ok());
              items.insert(response.items().begin(), response.items().end());
            });
  REQUIRE(called);
  return items;
}

struct Subscribed {
  std::unique_ptr<Subscription> subscription;
  std::string id;
};

Subscribed Subscribe(InMemoryConfigurationStore& store, UpdateCollector& updates,
                     std::vector<std::string> keys = {}) {
  configpb::SubscribeConfigurationRequest request;
  for (auto& key : keys) request.add_keys(key);
  Subscribed result;
  int started = 0;
  result.subscription =
      store.Subscribe(request, updates.Handler(), [&](grpc::Status status, std::string id) {
        ++started;
        CHECK(status.ok());
        result.id = id;
      });
  REQUIRE(started == 1);
  REQUIRE_FALSE(result.id.empty());
  return result;
}

// Whether some batch received so far holds `key` with `value`.
auto HasItem(const std::string& key, const std::string& value) {
  return [key, value](const std::vector<configpb::SubscribeConfigurationResponse>& batches) {
    for (const auto& batch : batches) {
      auto it = batch.items().find(key);
      if (it != batch.items().end() && it->second.value() == value) return true;
    }
    return false;
  };
}

}  // namespace

TEST_CASE("in-memory configuration: metadata entries are items at version 1", "[configuration]") {
  InMemoryConfigurationStore store(kPoll);
  REQUIRE(Init(store, {{"color", "blue"}, {"size", "10"}}).ok());
  auto items = Get(store);
  REQUIRE(items.size() == 2);
  CHECK(items["color"].value() == "blue");
  CHECK(items["color"].version() == "1");
  CHECK(items["size"].value() == "10");

  // Only the asked keys; unknown keys are simply absent.
  auto some = Get(store, {"size", "missing"});
  REQUIRE(some.size() == 1);
  CHECK(some["size"].value() == "10");
}

TEST_CASE("in-memory configuration: the file's items override metadata and follow its changes",
          "[configuration]") {
  TempFile file;
  file.Write(R"({"color": "red",
                 "limit": {"value": "5", "version": "v7", "metadata": {"owner": "ops"}},
                 "ratio": 0.5})");
  InMemoryConfigurationStore store(kPoll);
  REQUIRE(Init(store, {{"file", file.path()}, {"color", "blue"}, {"shape", "round"}}).ok());
  auto items = Get(store);
  CHECK(items.count("file") == 0);  // reserved
  CHECK(items["color"].value() == "red");
  CHECK(items["shape"].value() == "round");
  CHECK(items["limit"].value() == "5");
  CHECK(items["limit"].version() == "v7");
  CHECK(items["limit"].metadata().at("owner") == "ops");
  CHECK(items["ratio"].value() == "0.5");

  UpdateCollector all_updates;
  UpdateCollector color_updates;
  auto all = Subscribe(store, all_updates);
  auto color_only = Subscribe(store, color_updates, {"color"});
  CHECK(all.id != color_only.id);

  // A change to one item and a new item reach the subscribers that asked for them.
  file.Write(R"({"color": "green", "limit": {"value": "5", "version": "v7",
                 "metadata": {"owner": "ops"}}, "ratio": 0.5, "fresh": "new"})");
  REQUIRE(all_updates.WaitFor(HasItem("fresh", "new")));
  REQUIRE(color_updates.WaitFor(HasItem("color", "green")));
  auto batch = all_updates.Batches().front();
  CHECK(batch.id() == all.id);
  CHECK(batch.items().at("color").value() == "green");
  CHECK(batch.items().at("color").version() == "2");  // one more than before
  CHECK(batch.items().count("limit") == 0);           // unchanged items are not sent
  for (const auto& b : color_updates.Batches()) {
    CHECK(b.id() == color_only.id);
    CHECK(b.items().size() == 1);
    CHECK(b.items().count("color") == 1);
  }
  CHECK(Get(store, {"color"})["color"].value() == "green");

  // A key dropped from the file falls back to its metadata value; one only in the file is
  // sent once as an empty item and is gone.
  file.Write(R"({"limit": {"value": "5", "version": "v7", "metadata": {"owner": "ops"}},
                 "ratio": 0.5})");
  REQUIRE(all_updates.WaitFor(HasItem("color", "blue")));
  REQUIRE(all_updates.WaitFor([](const auto& batches) {
    for (const auto& b : batches) {
      auto it = b.items().find("fresh");
      if (it != b.items().end() && it->second.value().empty() && it->second.version().empty()) {
        return true;
      }
    }
    return false;
  }));
  auto now = Get(store);
  CHECK(now.count("fresh") == 0);
  CHECK(now["color"].value() == "blue");
  CHECK(now["color"].version() == "3");  // versions never go back
}

TEST_CASE("in-memory configuration: a closed subscription gets nothing more", "[configuration]") {
  TempFile file;
  file.Write(R"({"a": "1"})");
  InMemoryConfigurationStore store(kPoll);
  REQUIRE(Init(store, {{"file", file.path()}}).ok());
  UpdateCollector kept_updates, closed_updates;
  auto kept = Subscribe(store, kept_updates);
  auto closed = Subscribe(store, closed_updates);
  closed.subscription->Close();
  file.Write(R"({"a": "22"})");
  REQUIRE(kept_updates.WaitFor(HasItem("a", "22")));
  // The kept subscriber saw the change, so the closed one would have too.
  CHECK(closed_updates.Batches().empty());
}

TEST_CASE("in-memory configuration: a broken file keeps the items until it is fixed",
          "[configuration]") {
  TempFile file;
  file.Write(R"({"a": "1"})");
  InMemoryConfigurationStore store(kPoll);
  REQUIRE(Init(store, {{"file", file.path()}}).ok());
  UpdateCollector updates;
  auto subscribed = Subscribe(store, updates);

  file.Write("{ not json");
  // Then a valid change: the only batch is for it, and "a" was never dropped in between.
  std::this_thread::sleep_for(kPoll * 10);
  CHECK(Get(store, {"a"})["a"].value() == "1");
  file.Write(R"({"a": "333"})");
  REQUIRE(updates.WaitFor(HasItem("a", "333")));
  for (const auto& batch : updates.Batches()) CHECK(batch.items().at("a").value() == "333");
}

TEST_CASE("in-memory configuration: Init names metadata.file when the file is unusable",
          "[configuration]") {
  InMemoryConfigurationStore store(kPoll);
  auto missing = Init(store, {{"file", "/nonexistent/ph/config.json"}});
  CHECK(missing.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(missing.error_message(), Catch::Contains("metadata.file"));
  CHECK_THAT(missing.error_message(), Catch::Contains("/nonexistent/ph/config.json"));

  TempFile file;
  file.Write("[1, 2]");
  auto not_object = Init(store, {{"file", file.path()}});
  CHECK(not_object.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(not_object.error_message(), Catch::Contains("not a JSON object"));

  file.Write(R"({"a": {"version": "3"}})");
  auto no_value = Init(store, {{"file", file.path()}});
  CHECK(no_value.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(no_value.error_message(), Catch::Contains("item \"a\""));
}

}  // namespace plughost

namespace plughost {
namespace {

grpc::Status SaveItems(InMemoryConfigurationStore& store,
                       std::map<std::string, std::string> values) {
  std::map<std::string, configpb::ConfigurationItem> items;
  for (auto& [key, value] : values) items[key].set_value(value);
  std::optional<grpc::Status> result;
  store.Save(std::move(items), {}, CallOptions{}, [&](grpc::Status status) { result = status; });
  REQUIRE(result.has_value());
  return *result;
}

grpc::Status DeleteKeys(InMemoryConfigurationStore& store, std::vector<std::string> keys) {
  std::optional<grpc::Status> result;
  store.Delete(std::move(keys), {}, CallOptions{}, [&](grpc::Status status) { result = status; });
  REQUIRE(result.has_value());
  return *result;
}

TEST_CASE("in-memory configuration: Save and Delete write items and reach subscribers",
          "[configuration]") {
  TempFile file;
  file.Write(R"({"a": "1", "b": "2"})");
  InMemoryConfigurationStore store(kPoll);
  REQUIRE(Init(store, {{"file", file.path()}, {"m", "meta"}}).ok());
  UpdateCollector updates;
  auto subscribed = Subscribe(store, updates);

  REQUIRE(SaveItems(store, {{"a", "10"}, {"c", "new"}}).ok());
  auto items = Get(store);
  CHECK(items.at("a").value() == "10");
  CHECK(items.at("a").version() == "2");
  CHECK(items.at("c").value() == "new");
  CHECK(items.at("c").version() == "1");
  REQUIRE(updates.WaitFor(HasItem("a", "10")));
  REQUIRE(updates.WaitFor(HasItem("c", "new")));

  // Empty content deletes, as Layotto's SaveConfiguration says; Delete deletes.
  REQUIRE(SaveItems(store, {{"b", ""}}).ok());
  REQUIRE(DeleteKeys(store, {"m", "never-there"}).ok());
  items = Get(store);
  CHECK_FALSE(items.count("b"));
  CHECK_FALSE(items.count("m"));
  REQUIRE(updates.WaitFor(HasItem("b", "")));
  REQUIRE(updates.WaitFor(HasItem("m", "")));

  // What the app wrote outlasts a reload of the file.
  file.Write(R"({"a": "1", "b": "2", "d": "4"})");
  REQUIRE(updates.WaitFor(HasItem("d", "4")));
  items = Get(store);
  CHECK(items.at("a").value() == "10");
  CHECK_FALSE(items.count("b"));
}

}  // namespace
}  // namespace plughost
