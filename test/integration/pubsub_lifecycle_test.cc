// Pub/sub delivery to an app through the lifecycle of the host and of the component, with real
// processes: the C++ sample pubsub on its socket, the plughost binary, and an AppCallback server
// written here. Covers the subscription-lag metric, shutdown pausing subscriptions (answers of
// events at the app are acked, what arrives meanwhile is left for the next host) and a component
// SIGKILLed while messages flow, then restarted on the same socket.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"
#include "test/support/http_get.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr char kPubSub[] = "cpp-sample";  // the instance named after the sample's socket
constexpr char kTopic[] = "orders";

grpc::Status Publish(rt::Dapr::Stub& dapr, const std::string& data) {
  rt::PublishEventRequest request;
  request.set_pubsub_name(kPubSub);
  request.set_topic(kTopic);
  request.set_data(data);
  request.set_data_content_type("text/plain");
  google::protobuf::Empty empty;
  auto context = Deadline();
  return dapr.PublishEvent(context.get(), request, &empty);
}

bool AppSubscribed(rt::Dapr::Stub& dapr) {
  rt::GetMetadataResponse metadata;
  if (!dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok()) return false;
  for (const auto& subscription : metadata.subscriptions()) {
    if (subscription.pubsub_name() == kPubSub && subscription.topic() == kTopic) return true;
  }
  return false;
}

// The app: subscribes to kTopic on kPubSub and records every event it is given. While holding,
// it keeps events unanswered until Release(); otherwise it answers SUCCESS at once.
class App final : public rt::AppCallback::CallbackService {
 public:
  struct Received {
    std::string data;
    Clock::time_point at;
  };

  grpc::ServerUnaryReactor* ListTopicSubscriptions(
      grpc::CallbackServerContext* context, const google::protobuf::Empty*,
      rt::ListTopicSubscriptionsResponse* response) override {
    auto* subscription = response->add_subscriptions();
    subscription->set_pubsub_name(kPubSub);
    subscription->set_topic(kTopic);
    // These tests hold many events at the app at once (the default is one at a time).
    (*subscription->mutable_metadata())["plughost.io/maxConcurrency"] = "32";
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* OnTopicEvent(grpc::CallbackServerContext* context,
                                         const rt::TopicEventRequest* request,
                                         rt::TopicEventResponse* response) override {
    auto* reactor = context->DefaultReactor();
    response->set_status(rt::TopicEventResponse::SUCCESS);
    {
      std::lock_guard lock(mutex_);
      received_.push_back({request->data(), Clock::now()});
      cv_.notify_all();
      if (holding_) {
        held_.push_back(reactor);
        return reactor;
      }
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  void Hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  // Answers every held event SUCCESS, and later ones at once.
  void Release() {
    std::vector<grpc::ServerUnaryReactor*> held;
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
      held.swap(held_);
    }
    for (auto* reactor : held) reactor->Finish(grpc::Status::OK);
  }

  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  size_t held() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  std::multiset<std::string> DataSince(size_t index) {
    std::lock_guard lock(mutex_);
    std::multiset<std::string> data;
    for (size_t i = index; i < received_.size(); ++i) data.insert(received_[i].data);
    return data;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool holding_ = false;
  std::vector<Received> received_;
  std::vector<grpc::ServerUnaryReactor*> held_;
};

struct RunningApp {
  explicit RunningApp(int port) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureServerCredentials());
    builder.RegisterService(&app);
    server = builder.BuildAndStart();
  }
  ~RunningApp() {
    app.Release();
    if (server) server->Shutdown(std::chrono::system_clock::now() + 500ms);
  }
  App app;
  std::unique_ptr<grpc::Server> server;
};

// One sample in Prometheus text, e.g. Sample(body, "plughost_subscription_pending_messages",
// "outcome=\"acked\"") reads the series of kPubSub/kTopic whose labels also hold `extra`.
std::optional<double> Sample(const std::string& body, const std::string& name,
                             const std::string& extra = "") {
  std::string labels = "pubsub=\"" + std::string(kPubSub) + "\",topic=\"" + kTopic + "\"";
  if (!extra.empty()) labels += "," + extra;
  std::string prefix = name + "{" + labels + "} ";
  auto at = body.find("\n" + prefix);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(body.substr(at + 1 + prefix.size()));
}

struct Metric {
  int port;
  std::optional<double> Read(const std::string& name, const std::string& extra = "") const {
    return Sample(HttpGet(port, "/metrics").body, name, extra);
  }
  bool Is(const std::string& name, double value, const std::string& extra = "") const {
    auto sample = Read(name, extra);
    return sample && *sample == value;
  }
};

std::vector<std::string> HostArgs(int app_port, int ops_port, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--app-address", "127.0.0.1:" + std::to_string(app_port),
                                   "--ops-address", "127.0.0.1:" + std::to_string(ops_port)};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("/metrics shows the messages the app has not answered, and how long they wait",
          "[integration][pubsub][lifecycle]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, kPubSub);
  REQUIRE(sample);
  int app_port = FreeTcpPort();
  RunningApp app(app_port);
  app.app.Hold();
  Metric metric{FreeTcpPort()};
  RunningHost host(dir, dir.path(), HostArgs(app_port, metric.port));
  REQUIRE(host.started());
  REQUIRE(Eventually([&] { return AppSubscribed(host.dapr()); }));

  for (int i = 0; i < 5; ++i) REQUIRE(Publish(host.dapr(), "lag-" + std::to_string(i)).ok());
  REQUIRE(Eventually([&] { return app.app.held() == 5; }));
  CHECK(Eventually([&] { return metric.Is("plughost_subscription_pending_messages", 5); }));
  CHECK(Eventually([&] {
    auto age = metric.Read("plughost_subscription_oldest_pending_seconds");
    return age && *age > 0;
  }));
  CHECK(metric.Is("plughost_subscription_messages_total", 0, "outcome=\"acked\""));

  app.app.Release();
  CHECK(Eventually([&] { return metric.Is("plughost_subscription_pending_messages", 0); }));
  CHECK(metric.Is("plughost_subscription_oldest_pending_seconds", 0));
  CHECK(metric.Is("plughost_subscription_messages_total", 5, "outcome=\"acked\""));
  CHECK(metric.Is("plughost_subscription_messages_total", 0, "outcome=\"rejected\""));
}

TEST_CASE(
    "shutdown pauses subscriptions: events at the app are acked, later ones wait for the "
    "next host",
    "[integration][pubsub][lifecycle]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, kPubSub);
  REQUIRE(sample);
  int app_port = FreeTcpPort();
  RunningApp app(app_port);
  app.app.Hold();
  Metric metric{FreeTcpPort()};
  auto first = std::make_unique<RunningHost>(
      dir, dir.path(), HostArgs(app_port, metric.port, {"--drain-timeout", "20000"}));
  REQUIRE(first->started());
  REQUIRE(Eventually([&] { return AppSubscribed(first->dapr()); }));

  // The app holds the first batch unanswered.
  std::set<std::string> early, late;
  for (int i = 0; i < 10; ++i) early.insert("early-" + std::to_string(i));
  for (int i = 0; i < 10; ++i) late.insert("late-" + std::to_string(i));
  for (const auto& data : early) REQUIRE(Publish(first->dapr(), data).ok());
  REQUIRE(Eventually([&] { return app.app.held() == early.size(); }));

  // Shutdown begins; the host pauses, then waits for the app.
  first->process().Signal(SIGTERM);
  REQUIRE(
      Eventually([&] { return first->Log().find("subscriptions paused") != std::string::npos; }));
  // Published while paused (the API still serves during the drain): the host may read them
  // from its open stream, but must not hand them to the app.
  for (const auto& data : late) REQUIRE(Publish(first->dapr(), data).ok());
  CHECK(Eventually([&] {
    return metric.Is("plughost_subscription_pending_messages", early.size() + late.size());
  }));
  size_t seen_before_release = app.app.received().size();
  app.app.Release();
  auto exit_code = first->process().WaitExit(30s);
  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 0);
  CHECK(seen_before_release == early.size());
  auto from_first = app.app.DataSince(0);
  CHECK(from_first == std::multiset<std::string>(early.begin(), early.end()));
  first.reset();

  // The next host gets what the first never acked: the whole late batch. Early events the app
  // answered during the drain were acked: closing the subscription lets the queued acks out and
  // half-closes, so the component read every one of them and none comes again.
  size_t before_second = app.app.received().size();
  Metric next_metric{FreeTcpPort()};
  RunningHost second(dir, dir.path(), HostArgs(app_port, next_metric.port));
  REQUIRE(second.started());
  REQUIRE(Eventually([&] { return AppSubscribed(second.dapr()); }));
  REQUIRE(Publish(second.dapr(), "end").ok());
  // The sample delivers in order on one stream: once "end" is answered and nothing is pending,
  // everything queued before it has been answered too.
  REQUIRE(Eventually([&] {
    return app.app.DataSince(before_second).count("end") == 1 &&
           next_metric.Is("plughost_subscription_pending_messages", 0);
  }));
  auto from_second = app.app.DataSince(before_second);
  from_second.erase("end");
  INFO("host log:\n" << second.Log());
  for (const auto& data : late) CHECK(from_second.count(data) == 1);
  size_t early_again = 0;
  for (const auto& data : from_second) {
    CHECK((late.count(data) == 1 || early.count(data) == 1));
    early_again += early.count(data);
  }
  CHECK(early_again == 0);
}

TEST_CASE("a pubsub that appears after the app listed its topics gets the app's subscription",
          "[integration][pubsub]") {
  TempDir dir;
  int app_port = FreeTcpPort();
  RunningApp app(app_port);
  REQUIRE(app.server);
  Metric metric{FreeTcpPort()};
  RunningHost host(dir, dir.path(), HostArgs(app_port, metric.port));
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  // The app has listed its topic while no pubsub of that name exists.
  REQUIRE(Eventually(
      [&] { return host.Log().find("subscribed if one appears") != std::string::npos; }));
  CHECK_FALSE(AppSubscribed(host.dapr()));

  auto sample = StartSampleComponent(dir, kPubSub);  // hot-plugged into the watched folder
  REQUIRE(sample);
  REQUIRE(Eventually([&] { return AppSubscribed(host.dapr()); }));
  REQUIRE(Publish(host.dapr(), "to a late pubsub").ok());
  CHECK(Eventually([&] { return app.app.DataSince(0).count("to a late pubsub") == 1; }));
}

TEST_CASE(
    "a pub/sub component SIGKILLed while messages flow: the stream re-opens on restart "
    "and every message published after recovery is delivered",
    "[integration][pubsub][lifecycle][resilience]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, kPubSub);
  REQUIRE(sample);
  int app_port = FreeTcpPort();
  RunningApp app(app_port);
  RunningHost host(
      dir, dir.path(),
      {"--app-address", "127.0.0.1:" + std::to_string(app_port), "--ping-interval", "200"});
  REQUIRE(host.started());
  auto& dapr = host.dapr();
  REQUIRE(Eventually([&] { return AppSubscribed(dapr); }));

  // A publisher on its own thread: "n<i>" in order, each outcome and start time recorded.
  struct Published {
    std::string data;
    Clock::time_point started;
    bool ok;
  };
  std::mutex mutex;
  std::vector<Published> published;
  std::atomic<bool> publishing{true};
  std::thread publisher([&] {
    for (int i = 0; publishing; ++i) {
      auto started = Clock::now();
      std::string data = "n" + std::to_string(i);
      bool ok = Publish(dapr, data).ok();
      {
        std::lock_guard lock(mutex);
        published.push_back({data, started, ok});
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  auto delivered = [&] {
    std::set<std::string> data;
    for (const auto& event : app.app.received()) data.insert(event.data);
    return data;
  };

  REQUIRE(Eventually([&] { return delivered().size() >= 20; }));
  sample->Signal(SIGKILL);
  REQUIRE(sample->WaitExit(5s).has_value());
  auto killed = Clock::now();
  std::this_thread::sleep_for(500ms);  // an outage; publishes fail meanwhile

  auto restarted = StartSampleComponent(dir, kPubSub);  // same socket path, new process
  REQUIRE(restarted);
  auto socket_back = Clock::now();
  auto delivered_after = [&] {
    size_t count = 0;
    for (const auto& event : app.app.received()) count += event.at >= socket_back;
    return count;
  };
  bool flowing = Eventually([&] { return delivered_after() >= 20; }, 30s);
  publishing = false;
  publisher.join();
  REQUIRE(flowing);

  std::optional<Clock::time_point> first_after;
  for (const auto& event : app.app.received()) {
    if (event.at >= socket_back && (!first_after || event.at < *first_after)) {
      first_after = event.at;
    }
  }
  REQUIRE(first_after.has_value());
  WARN("pub/sub recovery: socket back -> first message delivered to the app in "
       << std::chrono::duration_cast<std::chrono::milliseconds>(*first_after - socket_back).count()
       << " ms");

  std::vector<Published> outcomes;
  {
    std::lock_guard lock(mutex);
    outcomes = published;
  }
  // Every message published with success once the component was back is delivered.
  std::vector<std::string> expected_after;
  for (const auto& p : outcomes) {
    if (p.ok && p.started >= socket_back) expected_after.push_back(p.data);
  }
  CHECK(!expected_after.empty());
  CHECK(Eventually([&] {
    auto seen = delivered();
    for (const auto& data : expected_after) {
      if (!seen.count(data)) return false;
    }
    return true;
  }));

  // Before the kill, what reached the app is every accepted message up to the last one that
  // arrived: no gap. Accepted messages after it were still in the killed process's memory
  // (the sample keeps its queue in memory), and cannot come back.
  auto seen = delivered();
  size_t last_seen = 0;
  std::vector<std::string> accepted_before;
  for (const auto& p : outcomes) {
    if (p.ok && p.started < killed) {
      accepted_before.push_back(p.data);
      if (seen.count(p.data)) last_seen = accepted_before.size();
    }
  }
  std::vector<std::string> gaps;
  for (size_t i = 0; i < last_seen; ++i) {
    if (!seen.count(accepted_before[i])) gaps.push_back(accepted_before[i]);
  }
  INFO("accepted before the kill but never delivered, with later ones delivered");
  CHECK(gaps.empty());
  WARN("accepted before the kill: " << accepted_before.size() << ", delivered: " << last_seen
                                    << ", gone with the killed process: "
                                    << accepted_before.size() - last_seen);

  CHECK_THAT(host.Log(), Catch::Contains("recovered"));
  CHECK_THAT(host.Log(), Catch::Contains("message stream for topic orders ended"));
}

}  // namespace plughost::testing
