// GrpcConfigurationStore against a controllable Configuration server on a Unix socket in this
// process: Init/Get, subscription confirmation, deliveries, Close -> Unsubscribe, a refused
// subscription, a stream the component ends (reopened), and the API's configuration errors.
#include "wrappers/configuration/grpc_configuration_store.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host/api/api_errors.h"
#include "test/configuration/update_collector.h"

namespace plughost {
namespace {

using testing::UpdateCollector;
namespace componentspb = ::dapr::proto::components::v1;

std::string InstanceOf(const grpc::CallbackServerContext* context) {
  auto it = context->client_metadata().find("x-component-instance");
  return it == context->client_metadata().end() ? ""
                                                : std::string(it->second.data(), it->second.size());
}

class FakeConfiguration;

// One Subscribe stream on the fake: the test pushes messages or ends it.
class FakeStream final : public grpc::ServerWriteReactor<configpb::SubscribeConfigurationResponse> {
 public:
  FakeStream(FakeConfiguration* owner, std::string id) : owner_(owner), id_(std::move(id)) {}
  void Push(configpb::SubscribeConfigurationResponse message) {
    std::lock_guard lock(mutex_);
    if (finish_) return;
    queue_.push_back(std::move(message));
    NextLocked();
  }
  void End(grpc::Status status) {
    std::lock_guard lock(mutex_);
    if (finish_) return;
    finish_ = std::move(status);
    NextLocked();
  }
  void OnWriteDone(bool) override {
    std::lock_guard lock(mutex_);
    writing_ = false;
    NextLocked();
  }
  void OnCancel() override;
  void OnDone() override;
  const std::string& id() const { return id_; }

 private:
  void NextLocked() {
    if (writing_ || finished_) return;
    if (!queue_.empty() && !finish_) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      StartWrite(&current_);
    } else if (finish_) {
      finished_ = true;
      Finish(*finish_);
    }
  }

  FakeConfiguration* owner_;
  std::string id_;
  std::mutex mutex_;
  std::deque<configpb::SubscribeConfigurationResponse> queue_;
  configpb::SubscribeConfigurationResponse current_;
  bool writing_ = false;
  std::optional<grpc::Status> finish_;
  bool finished_ = false;
};

class FakeConfiguration final : public configpb::Configuration::CallbackService {
 public:
  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const configpb::ConfigurationInitRequest* request,
                                 configpb::ConfigurationInitResponse*) override {
    std::lock_guard lock(mutex_);
    auto& items = items_[InstanceOf(context)];
    for (const auto& [k, v] : request->metadata().properties()) {
      items[k].set_value(v);
      items[k].set_version("1");
    }
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const componentspb::FeaturesRequest*,
                                     componentspb::FeaturesResponse* response) override {
    response->add_features("WATCH");
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const componentspb::PingRequest*,
                                 componentspb::PingResponse*) override {
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const configpb::GetConfigurationRequest* request,
                                configpb::GetConfigurationResponse* response) override {
    std::lock_guard lock(mutex_);
    auto& items = items_[InstanceOf(context)];
    for (const auto& key : request->keys()) {
      if (auto it = items.find(key); it != items.end())
        (*response->mutable_items())[key] = it->second;
    }
    if (auto it = request->metadata().find("fail"); it != request->metadata().end()) {
      return Done(context, grpc::Status(grpc::StatusCode::UNKNOWN, it->second));
    }
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerWriteReactor<configpb::SubscribeConfigurationResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const configpb::SubscribeConfigurationRequest* request) override {
    std::lock_guard lock(mutex_);
    auto* stream = new FakeStream(this, "sub-" + std::to_string(++subscribes_));
    if (InstanceOf(context) == "refuse") {
      stream->End(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not today"));
      return stream;
    }
    if (InstanceOf(context) != "silent") {
      configpb::SubscribeConfigurationResponse first;
      first.set_id(stream->id());
      stream->Push(std::move(first));
    }
    streams_.push_back(stream);
    keys_seen_.assign(request->keys().begin(), request->keys().end());
    cv_.notify_all();
    return stream;
  }
  grpc::ServerUnaryReactor* Unsubscribe(grpc::CallbackServerContext* context,
                                        const configpb::UnsubscribeConfigurationRequest* request,
                                        configpb::UnsubscribeConfigurationResponse*) override {
    std::lock_guard lock(mutex_);
    unsubscribed_.push_back(request->id());
    cv_.notify_all();
    return Done(context, grpc::Status::OK);
  }

  void StreamGone(FakeStream* stream, bool cancelled) {
    std::lock_guard lock(mutex_);
    std::erase(streams_, stream);
    if (cancelled) ++cancelled_;
    cv_.notify_all();
  }

  // Waits until `ready()` holds (under the lock).
  template <typename Ready>
  bool WaitFor(Ready ready) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return ready(); });
  }
  // Pushes to the newest open stream.
  void PushToLatest(const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    REQUIRE_FALSE(streams_.empty());
    configpb::SubscribeConfigurationResponse batch;
    batch.set_id(streams_.back()->id());
    (*batch.mutable_items())[key].set_value(value);
    streams_.back()->Push(std::move(batch));
  }
  void EndLatest(grpc::Status status) {
    std::lock_guard lock(mutex_);
    REQUIRE_FALSE(streams_.empty());
    streams_.back()->End(std::move(status));
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, std::map<std::string, configpb::ConfigurationItem>> items_;
  std::vector<FakeStream*> streams_;
  std::vector<std::string> unsubscribed_;
  std::vector<std::string> keys_seen_;
  int subscribes_ = 0;
  int cancelled_ = 0;

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, grpc::Status s) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(std::move(s));
    return reactor;
  }
};

void FakeStream::OnCancel() {
  End(grpc::Status::CANCELLED);
  owner_->StreamGone(this, /*cancelled=*/true);
}
void FakeStream::OnDone() {
  owner_->StreamGone(this, /*cancelled=*/false);
  delete this;
}

struct Server {
  Server() {
    char pattern[] = "/tmp/ph-cfg-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    socket = dir + "/configuration.sock";
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
  }
  ~Server() {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    std::filesystem::remove_all(dir);
  }
  std::string dir, socket;
  FakeConfiguration service;
  std::unique_ptr<grpc::Server> server;
};

grpc::Status InitSync(ConfigurationStore& store, std::map<std::string, std::string> metadata) {
  std::promise<grpc::Status> done;
  store.Init(InitSpec{"x", "configuration.fake", std::move(metadata), std::chrono::seconds(5)},
             [&](const grpc::Status& status) { done.set_value(status); });
  return done.get_future().get();
}

struct Started {
  std::promise<std::pair<grpc::Status, std::string>> promise;
  Callback<std::string> AsCallback() {
    return [this](grpc::Status status, std::string id) {
      promise.set_value({std::move(status), std::move(id)});
    };
  }
  std::pair<grpc::Status, std::string> Wait() {
    auto future = promise.get_future();
    REQUIRE(future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    return future.get();
  }
};

configpb::SubscribeConfigurationRequest Keys(const std::vector<std::string>& keys) {
  configpb::SubscribeConfigurationRequest request;
  for (auto& key : keys) request.add_keys(key);
  return request;
}

bool HasValue(const std::vector<configpb::SubscribeConfigurationResponse>& batches,
              const std::string& key, const std::string& value) {
  for (const auto& batch : batches) {
    auto it = batch.items().find(key);
    if (it != batch.items().end() && it->second.value() == value) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("GrpcConfigurationStore: Init, Features and Get over a socket", "[configuration]") {
  Server server;
  GrpcConfigurationStore store(server.socket, "app");
  REQUIRE(InitSync(store, {{"color", "blue"}}).ok());
  CHECK(store.Features() == std::vector<std::string>{"WATCH"});

  configpb::GetConfigurationRequest get;
  get.add_keys("color");
  std::promise<std::pair<grpc::Status, configpb::GetConfigurationResponse>> got;
  store.Get(get, CallOptions{}, [&](const grpc::Status& s, configpb::GetConfigurationResponse r) {
    got.set_value({s, std::move(r)});
  });
  auto [status, response] = got.get_future().get();
  REQUIRE(status.ok());
  CHECK(response.items().at("color").value() == "blue");

  // The component's error reaches the caller with its code.
  (*get.mutable_metadata())["fail"] = "backend down";
  std::promise<grpc::Status> failed;
  store.Get(get, CallOptions{},
            [&](const grpc::Status& s, const configpb::GetConfigurationResponse&) {
              failed.set_value(s);
            });
  auto failure = failed.get_future().get();
  CHECK(failure.error_code() == grpc::StatusCode::UNKNOWN);
  CHECK(failure.error_message() == "backend down");
}

TEST_CASE("GrpcConfigurationStore: subscribe, receive changes, Close unsubscribes",
          "[configuration]") {
  Server server;
  GrpcConfigurationStore store(server.socket, "app");
  REQUIRE(InitSync(store, {}).ok());

  UpdateCollector updates;
  Started started;
  auto subscription = store.Subscribe(Keys({"a", "b"}), updates.Handler(), started.AsCallback());
  auto [status, id] = started.Wait();
  REQUIRE(status.ok());
  CHECK(id == "sub-1");
  CHECK(server.service.keys_seen_ == std::vector<std::string>{"a", "b"});

  server.service.PushToLatest("a", "1");
  server.service.PushToLatest("b", "2");
  REQUIRE(updates.WaitForCount(2));
  auto batches = updates.Batches();
  CHECK(batches[0].items().at("a").value() == "1");  // in order
  CHECK(batches[1].items().at("b").value() == "2");
  CHECK(batches[0].id() == "sub-1");

  subscription->Close();
  REQUIRE(server.service.WaitFor([&] {
    return server.service.unsubscribed_ == std::vector<std::string>{"sub-1"} &&
           server.service.streams_.empty();
  }));
  CHECK(updates.Batches().size() == 2);
}

TEST_CASE("GrpcConfigurationStore: a refused subscription reports the component's error",
          "[configuration]") {
  Server server;
  GrpcConfigurationStore store(server.socket, "refuse");
  UpdateCollector updates;
  Started started;
  auto subscription = store.Subscribe(Keys({}), updates.Handler(), started.AsCallback());
  auto [status, id] = started.Wait();
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(status.error_message() == "not today");
  CHECK(id.empty());
  subscription->Close();
  CHECK(updates.Batches().empty());
  // Nothing was ever subscribed, so nothing is unsubscribed.
  CHECK(server.service.unsubscribed_.empty());
}

TEST_CASE("GrpcConfigurationStore: closing before confirmation cancels the stream",
          "[configuration]") {
  Server server;
  GrpcConfigurationStore store(server.socket, "silent");
  UpdateCollector updates;
  Started started;
  auto subscription = store.Subscribe(Keys({}), updates.Handler(), started.AsCallback());
  REQUIRE(server.service.WaitFor([&] { return server.service.streams_.size() == 1; }));
  subscription->Close();
  auto [status, id] = started.Wait();
  CHECK(status.error_code() == grpc::StatusCode::CANCELLED);
  REQUIRE(server.service.WaitFor([&] { return server.service.streams_.empty(); }));
  CHECK(server.service.unsubscribed_.empty());
}

TEST_CASE("GrpcConfigurationStore: a stream the component ends is opened again",
          "[configuration]") {
  Server server;
  GrpcConfigurationStore store(server.socket, "app");
  UpdateCollector updates;
  Started started;
  auto subscription = store.Subscribe(Keys({"k"}), updates.Handler(), started.AsCallback());
  REQUIRE(started.Wait().first.ok());

  server.service.EndLatest(grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting"));
  REQUIRE(server.service.WaitFor(
      [&] { return server.service.subscribes_ == 2 && server.service.streams_.size() == 1; }));
  // Changes on the new stream arrive through the same handler.
  server.service.PushToLatest("k", "after");
  REQUIRE(updates.WaitFor([](const auto& b) { return HasValue(b, "k", "after"); }));

  subscription->Close();
  REQUIRE(server.service.WaitFor(
      [&] { return server.service.unsubscribed_ == std::vector<std::string>{"sub-2"}; }));
}

TEST_CASE("GrpcConfigurationStore: Close() from inside an update returns; nothing comes after",
          "[configuration]") {
  Server server;
  GrpcConfigurationStore store(server.socket, "app");
  std::mutex mutex;
  std::unique_ptr<Subscription> subscription;
  std::atomic<int> delivered{0};
  std::atomic<bool> closed{false};
  std::atomic<int> after_close{0};
  Started started;
  {
    std::lock_guard lock(mutex);
    subscription = store.Subscribe(
        Keys({"k"}),
        [&](const configpb::SubscribeConfigurationResponse&) {
          if (closed) after_close++;
          if (++delivered == 2) {
            std::lock_guard lock(mutex);
            subscription->Close();  // must not wait for this very delivery
            closed = true;
          }
        },
        started.AsCallback());
  }
  REQUIRE(started.Wait().first.ok());
  {
    // All at once: the stream is gone after the second.
    std::lock_guard lock(server.service.mutex_);
    REQUIRE(server.service.streams_.size() == 1);
    for (int i = 0; i < 5; ++i) {
      configpb::SubscribeConfigurationResponse batch;
      (*batch.mutable_items())["k"].set_value(std::to_string(i));
      server.service.streams_.back()->Push(std::move(batch));
    }
  }
  REQUIRE(server.service.WaitFor([&] {
    return server.service.unsubscribed_ == std::vector<std::string>{"sub-1"} &&
           server.service.streams_.empty();
  }));
  CHECK(closed);
  CHECK(after_close == 0);
  CHECK(delivered == 2);
  std::lock_guard lock(mutex);
  subscription.reset();
}

TEST_CASE("GrpcConfigurationStore: Close() waits for an update already running",
          "[configuration]") {
  Server server;
  GrpcConfigurationStore store(server.socket, "app");
  std::promise<void> entered;
  std::atomic<bool> finished{false};
  Started started;
  auto subscription = store.Subscribe(
      Keys({"k"}),
      [&](const configpb::SubscribeConfigurationResponse&) {
        entered.set_value();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        finished = true;
      },
      started.AsCallback());
  REQUIRE(started.Wait().first.ok());
  server.service.PushToLatest("k", "v");
  REQUIRE(entered.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  subscription->Close();
  CHECK(finished);  // the update had ended before Close() returned
}

TEST_CASE("GrpcConfigurationStore: an update handler that throws does not end the subscription",
          "[configuration]") {
  Server server;
  GrpcConfigurationStore store(server.socket, "app");
  UpdateCollector updates;
  auto collect = updates.Handler();
  Started started;
  auto subscription = store.Subscribe(
      Keys({"k"}),
      [&](configpb::SubscribeConfigurationResponse batch) {
        if (batch.items().at("k").value() == "bad") throw std::runtime_error("handler failed");
        collect(std::move(batch));
      },
      started.AsCallback());
  REQUIRE(started.Wait().first.ok());
  server.service.PushToLatest("k", "bad");
  server.service.PushToLatest("k", "good");
  REQUIRE(updates.WaitFor([](const auto& b) { return HasValue(b, "k", "good"); }));
  CHECK(server.service.subscribes_ == 1);
  subscription->Close();
}

TEST_CASE("configuration API errors carry Dapr's codes and words", "[configuration]") {
  auto none = api_errors::ConfigurationStoresNotConfigured();
  CHECK(none.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(none.error_message() == "configuration stores not configured");

  auto unknown = api_errors::ConfigurationStoreNotFound("cfg");
  CHECK(unknown.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(unknown.error_message() == "configuration store cfg not found");

  auto get = api_errors::ConfigurationGetFailed({"a", "b"}, "cfg",
                                                grpc::Status(grpc::StatusCode::UNKNOWN, "boom"));
  CHECK(get.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(get.error_message() == "failed to get [a b] from Configuration store cfg: boom");

  auto subscribe = api_errors::ConfigurationSubscribeFailed(
      {}, "cfg", grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no"));
  CHECK(subscribe.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(subscribe.error_message() == "failed to subscribe [] from Configuration store cfg: no");

  CHECK(api_errors::ConfigurationGetFailed({}, "s", grpc::Status(grpc::StatusCode::UNAVAILABLE, ""))
            .error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(api_errors::ConfigurationUnsubscribeFailed("x1", "subscription does not exist") ==
        "failed to unsubscribe to configuration request x1: subscription does not exist");
}

}  // namespace plughost
