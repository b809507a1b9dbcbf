// Pub/sub delivery to the app's OnTopicEvent as daprd does it, through the real host, on the
// built-in pubsub.in-memory and the pluggable C++ sample: gRPC metadata on each event, one
// event at a time in order (more with plughost.io/maxConcurrency), no deadline unless a
// delivery policy sets one, retries under the policy, and dead letters for DROP, exhausted
// RETRY and undecodable events from programmatic, declarative and streaming subscriptions.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kPubsubs[] = {"pubsub", "cpp-sample"};

grpc::Status Publish(rt::Dapr::Stub& dapr, const std::string& pubsub, const std::string& topic,
                     const std::string& data, std::map<std::string, std::string> metadata = {},
                     const std::string& content_type = "text/plain") {
  rt::PublishEventRequest request;
  request.set_pubsub_name(pubsub);
  request.set_topic(topic);
  request.set_data(data);
  request.set_data_content_type(content_type);
  request.mutable_metadata()->insert(metadata.begin(), metadata.end());
  google::protobuf::Empty empty;
  return dapr.PublishEvent(Deadline().get(), request, &empty);
}

struct Received {
  rt::TopicEventRequest event;
  std::multimap<std::string, std::string> metadata;  // the call's gRPC metadata
  std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
};

// The app: subscribes to what the test lists, and answers by the event's data (except on
// topics ending in "-dead", where it takes everything): "drop:" DROP,
// "retry:" RETRY (every time), "slow:" succeeds after 1.5 s, "busy:" after 150 ms, anything
// else succeeds at once. Records every event with its call metadata, and the most events it
// ever had in hand at once.
class DeliveryApp final : public rt::AppCallback::Service {
 public:
  explicit DeliveryApp(std::vector<rt::TopicSubscription> subscriptions)
      : subscriptions_(std::move(subscriptions)) {}

  grpc::Status ListTopicSubscriptions(grpc::ServerContext*, const google::protobuf::Empty*,
                                      rt::ListTopicSubscriptionsResponse* response) override {
    for (const auto& s : subscriptions_) *response->add_subscriptions() = s;
    return grpc::Status::OK;
  }

  grpc::Status OnTopicEvent(grpc::ServerContext* context, const rt::TopicEventRequest* request,
                            rt::TopicEventResponse* response) override {
    int now = ++active_;
    int seen = max_active_.load();
    while (now > seen && !max_active_.compare_exchange_weak(seen, now)) {
    }
    Received received{*request, {}};
    for (const auto& [key, value] : context->client_metadata()) {
      received.metadata.emplace(std::string(key.data(), key.size()),
                                std::string(value.data(), value.size()));
    }
    const std::string& data = request->data();
    if (data.rfind("slow:", 0) == 0) std::this_thread::sleep_for(1500ms);
    if (data.rfind("busy:", 0) == 0) std::this_thread::sleep_for(150ms);
    if (context->IsCancelled()) cancelled_ = true;
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(received));
    }
    bool dead_letter = request->topic().ends_with("-dead");  // takes everything it gets
    if (dead_letter) {
      response->set_status(rt::TopicEventResponse::SUCCESS);
    } else if (data.rfind("drop:", 0) == 0) {
      response->set_status(rt::TopicEventResponse::DROP);
    } else if (data.rfind("retry:", 0) == 0) {
      response->set_status(rt::TopicEventResponse::RETRY);
    } else {
      response->set_status(rt::TopicEventResponse::SUCCESS);
    }
    --active_;
    return grpc::Status::OK;
  }

  // The events of `pubsub`/`topic` (any data when `data` is empty), in arrival order.
  std::vector<Received> Events(const std::string& pubsub, const std::string& topic,
                               const std::string& data = "") {
    std::lock_guard lock(mutex_);
    std::vector<Received> out;
    for (const auto& r : events_) {
      if (r.event.pubsub_name() == pubsub && r.event.topic() == topic &&
          (data.empty() || r.event.data() == data)) {
        out.push_back(r);
      }
    }
    return out;
  }

  grpc::Status OnBulkTopicEvent(grpc::ServerContext* context,
                                const rt::TopicEventBulkRequest* request,
                                rt::TopicEventBulkResponse* response) override {
    if (bulk_mode_ != BulkMode::kStable) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
    return Bulk(context, *request, response, false);
  }

  enum class BulkMode { kStable, kAlphaOnly, kNone };
  void set_bulk_mode(BulkMode mode) { bulk_mode_ = mode; }
  BulkMode bulk_mode() const { return bulk_mode_; }

  struct Batch {
    bool alpha;
    rt::TopicEventBulkRequest request;
    std::multimap<std::string, std::string> metadata;
  };

  // Answers each entry by its data as OnTopicEvent does; "retry:" entries are left out of the
  // answer (which counts as RETRY).
  grpc::Status Bulk(grpc::ServerContext* context, const rt::TopicEventBulkRequest& request,
                    rt::TopicEventBulkResponse* response, bool alpha) {
    Batch batch{alpha, request, {}};
    for (const auto& [key, value] : context->client_metadata()) {
      batch.metadata.emplace(std::string(key.data(), key.size()),
                             std::string(value.data(), value.size()));
    }
    for (const auto& entry : request.entries()) {
      const std::string& data = entry.cloud_event().data();
      if (data.rfind("retry:", 0) == 0) continue;
      auto* status = response->add_statuses();
      status->set_entry_id(entry.entry_id());
      status->set_status(data.rfind("drop:", 0) == 0 ? rt::TopicEventResponse::DROP
                                                     : rt::TopicEventResponse::SUCCESS);
    }
    std::lock_guard lock(mutex_);
    batches_.push_back(std::move(batch));
    return grpc::Status::OK;
  }

  std::vector<Batch> Batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

  int max_active() const { return max_active_; }
  bool saw_cancelled() const { return cancelled_; }

 private:
  std::vector<rt::TopicSubscription> subscriptions_;
  std::atomic<BulkMode> bulk_mode_{BulkMode::kStable};
  std::mutex mutex_;
  std::vector<Received> events_;
  std::vector<Batch> batches_;
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};
  std::atomic<bool> cancelled_{false};
};

class AlphaApp final : public rt::AppCallbackAlpha::Service {
 public:
  explicit AlphaApp(DeliveryApp* app) : app_(app) {}
  grpc::Status OnBulkTopicEventAlpha1(grpc::ServerContext* context,
                                      const rt::TopicEventBulkRequest* request,
                                      rt::TopicEventBulkResponse* response) override {
    if (app_->bulk_mode() != DeliveryApp::BulkMode::kAlphaOnly) {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
    }
    return app_->Bulk(context, *request, response, true);
  }

 private:
  DeliveryApp* app_;
};

rt::TopicSubscription Sub(const std::string& pubsub, const std::string& topic,
                          const std::string& dead_letter = "",
                          std::map<std::string, std::string> metadata = {}) {
  rt::TopicSubscription s;
  s.set_pubsub_name(pubsub);
  s.set_topic(topic);
  s.set_dead_letter_topic(dead_letter);
  s.mutable_metadata()->insert(metadata.begin(), metadata.end());
  return s;
}

// The sample pubsub, the app (on a free port) and the host, with `extra` merged into a config
// that has both pubsubs.
struct Setup {
  Setup(std::vector<rt::TopicSubscription> subscriptions, json extra = json::object())
      : app(std::move(subscriptions)) {
    sample = StartSampleComponent(dir, "cpp-sample");
    int port = FreeTcpPort();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureServerCredentials());
    builder.RegisterService(&app);
    builder.RegisterService(&alpha);
    server = builder.BuildAndStart();
    json config = {{"app_id", "delivery-app"},
                   {"components", {{{"name", "pubsub"}, {"type", "pubsub.in-memory"}}}}};
    config.update(extra);
    WriteFile(dir.File("config.json"), config.dump(2));
    host = std::make_unique<RunningHost>(
        dir, dir.path(),
        std::vector<std::string>{"--config", dir.File("config.json"), "--app-address",
                                 "127.0.0.1:" + std::to_string(port)});
  }
  ~Setup() {
    host.reset();
    if (server) server->Shutdown(std::chrono::system_clock::now() + 500ms);
  }

  // True once the host lists `count` subscriptions.
  bool Subscribed(size_t count) {
    return Eventually([&] {
      rt::GetMetadataResponse metadata;
      if (!host->dapr().GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok()) {
        return false;
      }
      return static_cast<size_t>(metadata.subscriptions_size()) >= count;
    });
  }

  TempDir dir;
  DeliveryApp app;
  AlphaApp alpha{&app};
  std::unique_ptr<ChildProcess> sample;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<RunningHost> host;
};

std::string Only(const std::multimap<std::string, std::string>& metadata, const std::string& key) {
  auto [begin, end] = metadata.equal_range(key);
  if (begin == end || std::next(begin) != end)
    return "<" + std::to_string(std::distance(begin, end)) + " values>";
  return begin->second;
}

}  // namespace

TEST_CASE("events carry pubsubname and the message metadata as gRPC metadata",
          "[integration][pubsub][delivery]") {
  Setup setup({Sub("pubsub", "meta"), Sub("cpp-sample", "meta")});
  REQUIRE(setup.sample);
  REQUIRE(setup.host->started());
  INFO("host log:\n" << setup.host->Log());
  REQUIRE(setup.Subscribed(2));
  for (std::string pubsub : kPubsubs) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      REQUIRE(Publish(setup.host->dapr(), pubsub, "meta", "hello",
                      {{"CustomKey", "custom value"}, {"other", "2"}})
                  .ok());
      REQUIRE(Eventually([&] { return !setup.app.Events(pubsub, "meta").empty(); }));
      auto received = setup.app.Events(pubsub, "meta").front();
      CHECK(Only(received.metadata, "pubsubname") == pubsub);
      CHECK(Only(received.metadata, "customkey") == "custom value");
      CHECK(Only(received.metadata, "other") == "2");
    }
  }
}

TEST_CASE("a subscription's events reach the app one at a time and in order",
          "[integration][pubsub][delivery]") {
  Setup setup({Sub("pubsub", "ordered"), Sub("cpp-sample", "ordered")});
  REQUIRE(setup.sample);
  REQUIRE(setup.host->started());
  INFO("host log:\n" << setup.host->Log());
  REQUIRE(setup.Subscribed(2));
  constexpr int kCount = 500;
  for (std::string pubsub : kPubsubs) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      for (int i = 0; i < kCount; ++i) {
        REQUIRE(Publish(setup.host->dapr(), pubsub, "ordered", std::to_string(i)).ok());
      }
      REQUIRE(
          Eventually([&] { return setup.app.Events(pubsub, "ordered").size() >= size_t{kCount}; }));
      auto events = setup.app.Events(pubsub, "ordered");
      REQUIRE(events.size() == size_t{kCount});
      int out_of_order = 0;
      for (int i = 0; i < kCount; ++i) {
        if (events[i].event.data() != std::to_string(i)) ++out_of_order;
      }
      CHECK(out_of_order == 0);
      CHECK(setup.app.max_active() == 1);
    }
  }
}

TEST_CASE("plughost.io/maxConcurrency lets a subscription's events overlap",
          "[integration][pubsub][delivery]") {
  for (std::string pubsub : kPubsubs) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      Setup setup({Sub(pubsub, "parallel", "", {{"plughost.io/maxConcurrency", "4"}})});
      REQUIRE(setup.sample);
      REQUIRE(setup.host->started());
      INFO("host log:\n" << setup.host->Log());
      REQUIRE(setup.Subscribed(1));
      for (int i = 0; i < 12; ++i) {
        REQUIRE(Publish(setup.host->dapr(), pubsub, "parallel", "busy:" + std::to_string(i)).ok());
      }
      REQUIRE(Eventually([&] { return setup.app.Events(pubsub, "parallel").size() >= 12; }));
      CHECK(setup.app.max_active() > 1);
      CHECK(setup.app.max_active() <= 4);
    }
  }
}

TEST_CASE("a slow handler is not cancelled without a policy timeout; with one it is retried",
          "[integration][pubsub][delivery]") {
  // The in-memory pubsub gets a 300 ms timeout (and retries); the sample none.
  json policies = {
      {"pubsub_inbound_policies",
       {{"pubsub",
         {{"timeout", "300ms"},
          {"retry", {{"policy", "constant"}, {"duration", "50ms"}, {"maxRetries", 1}}}}}}}};
  Setup setup(
      {Sub("pubsub", "slow", "slow-dead"), Sub("cpp-sample", "slow"), Sub("pubsub", "slow-dead")},
      policies);
  REQUIRE(setup.sample);
  REQUIRE(setup.host->started());
  INFO("host log:\n" << setup.host->Log());
  REQUIRE(setup.Subscribed(3));
  REQUIRE(Publish(setup.host->dapr(), "cpp-sample", "slow", "slow:a").ok());
  REQUIRE(Publish(setup.host->dapr(), "pubsub", "slow", "slow:b").ok());
  // The timed-out one is tried twice, then dead-lettered.
  REQUIRE(Eventually([&] { return !setup.app.Events("pubsub", "slow-dead", "slow:b").empty(); }));
  CHECK(setup.app.Events("pubsub", "slow", "slow:b").size() == 2);
  REQUIRE(Eventually([&] { return !setup.app.Events("cpp-sample", "slow").empty(); }));
  std::this_thread::sleep_for(2s);  // room for a wrong redelivery to show up
  CHECK(setup.app.Events("cpp-sample", "slow").size() == 1);
}

TEST_CASE("DROP and RETRY go to the dead-letter topic, and only then is the event acked",
          "[integration][pubsub][delivery]") {
  for (bool with_policy : {false, true}) {
    for (std::string pubsub : kPubsubs) {
      DYNAMIC_SECTION("pubsub " << pubsub << (with_policy ? " with a retry policy" : "")) {
        json extra = {{"subscriptions",
                       {{{"name", "declared"},
                         {"pubsubname", pubsub},
                         {"topic", "declared"},
                         {"route", "/declared"},
                         {"deadLetterTopic", "declared-dead"}}}}};
        if (with_policy) {
          extra["pubsub_inbound_policies"] = {
              {pubsub,
               {{"retry", {{"policy", "constant"}, {"duration", "20ms"}, {"maxRetries", 2}}}}}};
        }
        Setup setup({Sub(pubsub, "orders", "orders-dead"), Sub(pubsub, "orders-dead"),
                     Sub(pubsub, "declared-dead")},
                    extra);
        REQUIRE(setup.sample);
        REQUIRE(setup.host->started());
        INFO("host log:\n" << setup.host->Log());
        REQUIRE(setup.Subscribed(4));
        auto& dapr = setup.host->dapr();
        REQUIRE(Publish(dapr, pubsub, "orders", "drop:1").ok());
        REQUIRE(Publish(dapr, pubsub, "orders", "retry:2").ok());
        REQUIRE(Publish(dapr, pubsub, "declared", "drop:3").ok());
        // An event whose data_base64 is not base64 cannot be decoded.
        REQUIRE(Publish(dapr, pubsub, "orders",
                        R"({"specversion":"1.0","id":"bad-1","source":"t","type":"t",)"
                        R"("datacontenttype":"application/octet-stream","data_base64":"!!"})",
                        {}, "application/cloudevents+json")
                    .ok());
        // The undecodable one goes to the dead-letter topic too, where it cannot be decoded
        // either: with no dead-letter topic of its own, it is acked there, not redelivered.
        auto dead_lettered = [&] {
          std::regex line("topic 'orders' of pubsub '" + pubsub +
                          "': message [^ ]+ sent to dead-letter topic 'orders-dead'");
          auto log = setup.host->Log();
          return std::distance(std::sregex_iterator(log.begin(), log.end(), line),
                               std::sregex_iterator());
        };
        REQUIRE(Eventually([&] {
          return !setup.app.Events(pubsub, "orders-dead", "drop:1").empty() &&
                 !setup.app.Events(pubsub, "orders-dead", "retry:2").empty() &&
                 !setup.app.Events(pubsub, "declared-dead", "drop:3").empty() &&
                 dead_lettered() == 3;
        }));
        auto dropped = setup.app.Events(pubsub, "orders", "drop:1");
        auto dead = setup.app.Events(pubsub, "orders-dead", "drop:1");
        REQUIRE(dropped.size() == 1);
        // The original bytes: the same CloudEvent, id included.
        CHECK(dead.front().event.id() == dropped.front().event.id());
        CHECK(Only(dead.front().metadata, "pubsubname") == pubsub);
        CHECK(setup.app.Events(pubsub, "declared", "drop:3").front().event.path() == "/declared");
        std::this_thread::sleep_for(1s);  // room for a wrong redelivery to show up
        CHECK(setup.app.Events(pubsub, "orders", "drop:1").size() == 1);
        CHECK(setup.app.Events(pubsub, "orders", "retry:2").size() == (with_policy ? 3 : 1));
        CHECK(setup.app.Events(pubsub, "orders-dead", "retry:2").size() == 1);
        CHECK(setup.app.Events(pubsub, "orders-dead").size() == 2);
        CHECK(dead_lettered() == 3);
        CHECK_THAT(setup.host->Log(), Catch::Contains("cannot decode message"));
      }
    }
  }
}

TEST_CASE("a streaming subscription's DROP and RETRY go to its dead-letter topic",
          "[integration][pubsub][delivery]") {
  for (std::string pubsub : kPubsubs) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      Setup setup({Sub(pubsub, "stream-dead")});
      REQUIRE(setup.sample);
      REQUIRE(setup.host->started());
      INFO("host log:\n" << setup.host->Log());
      REQUIRE(setup.Subscribed(1));
      auto& dapr = setup.host->dapr();
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + 60s);
      auto stream = dapr.SubscribeTopicEventsAlpha1(&context);
      rt::SubscribeTopicEventsRequestAlpha1 initial;
      initial.mutable_initial_request()->set_pubsub_name(pubsub);
      initial.mutable_initial_request()->set_topic("stream");
      initial.mutable_initial_request()->set_dead_letter_topic("stream-dead");
      REQUIRE(stream->Write(initial));
      rt::SubscribeTopicEventsResponseAlpha1 response;
      REQUIRE(stream->Read(&response));
      REQUIRE(response.has_initial_response());
      REQUIRE(Publish(dapr, pubsub, "stream", "drop:s1").ok());
      REQUIRE(Publish(dapr, pubsub, "stream", "retry:s2").ok());
      std::map<std::string, std::string> ids;  // data -> event id
      for (int answered = 0; answered < 2;) {
        REQUIRE(stream->Read(&response));
        if (!response.has_event_message()) continue;
        const auto& event = response.event_message();
        CHECK(event.pubsub_name() == pubsub);
        ids[event.data()] = event.id();
        rt::SubscribeTopicEventsRequestAlpha1 processed;
        processed.mutable_event_processed()->set_id(event.id());
        processed.mutable_event_processed()->mutable_status()->set_status(
            event.data() == "drop:s1" ? rt::TopicEventResponse::DROP
                                      : rt::TopicEventResponse::RETRY);
        REQUIRE(stream->Write(processed));
        ++answered;
      }
      REQUIRE(Eventually([&] { return setup.app.Events(pubsub, "stream-dead").size() >= 2; }));
      CHECK(setup.app.Events(pubsub, "stream-dead", "drop:s1").front().event.id() ==
            ids["drop:s1"]);
      CHECK(setup.app.Events(pubsub, "stream-dead", "retry:s2").front().event.id() ==
            ids["retry:s2"]);
      stream->WritesDone();
      while (stream->Read(&response)) {
        // Acked once dead-lettered: nothing comes back on the stream.
        CHECK_FALSE(response.has_event_message());
      }
      CHECK(stream->Finish().ok());
    }
  }
}

TEST_CASE("bulk subscriptions get batches through OnBulkTopicEvent, else its Alpha1",
          "[integration][pubsub][delivery]") {
  using Mode = DeliveryApp::BulkMode;
  for (Mode mode : {Mode::kStable, Mode::kAlphaOnly, Mode::kNone}) {
    for (std::string pubsub : kPubsubs) {
      DYNAMIC_SECTION("pubsub " << pubsub << " mode " << static_cast<int>(mode)) {
        auto bulk = Sub(pubsub, "bulk", "bulk-dead");
        bulk.mutable_bulk_subscribe()->set_enabled(true);
        bulk.mutable_bulk_subscribe()->set_max_messages_count(5);
        bulk.mutable_bulk_subscribe()->set_max_await_duration_ms(200);
        Setup setup({bulk, Sub(pubsub, "bulk-dead")});
        setup.app.set_bulk_mode(mode);
        REQUIRE(setup.sample);
        REQUIRE(setup.host->started());
        INFO("host log:\n" << setup.host->Log());
        REQUIRE(setup.Subscribed(2));
        auto& dapr = setup.host->dapr();
        std::vector<std::string> sent;
        for (int i = 0; i < 10; ++i) sent.push_back("ok:" + std::to_string(i));
        sent.push_back("drop:b");
        sent.push_back("retry:c");
        for (const auto& data : sent) REQUIRE(Publish(dapr, pubsub, "bulk", data).ok());

        if (mode == Mode::kNone) {
          // Acked without being handled, and said once.
          REQUIRE(Eventually(
              [&] { return setup.host->Log().find("implements neither") != std::string::npos; }));
          std::this_thread::sleep_for(1s);
          auto log = setup.host->Log();
          CHECK(log.find("implements neither") == log.rfind("implements neither"));
          CHECK(setup.app.Events(pubsub, "bulk-dead").empty());
          continue;
        }
        // Every entry arrives; 12 messages in batches of at most 5, the last one partial.
        auto entries_seen = [&] {
          std::set<std::string> seen;
          for (const auto& batch : setup.app.Batches()) {
            for (const auto& e : batch.request.entries()) seen.insert(e.cloud_event().data());
          }
          return seen;
        };
        REQUIRE(Eventually([&] { return entries_seen().size() == sent.size(); }));
        // The dropped and the unanswered (RETRY) entries go to the dead-letter topic alone.
        REQUIRE(Eventually([&] {
          return !setup.app.Events(pubsub, "bulk-dead", "drop:b").empty() &&
                 !setup.app.Events(pubsub, "bulk-dead", "retry:c").empty();
        }));
        auto batches = setup.app.Batches();
        CHECK(batches.size() >= 3);
        for (const auto& batch : batches) {
          CHECK(batch.alpha == (mode == Mode::kAlphaOnly));
          CHECK(batch.request.entries_size() <= 5);
          CHECK(batch.request.pubsub_name() == pubsub);
          CHECK(batch.request.topic() == "bulk");
          CHECK(batch.request.type() == "com.dapr.event.sent.bulk");
          CHECK(Only(batch.metadata, "pubsubname") == pubsub);
        }
        std::this_thread::sleep_for(1s);  // room for a wrong redelivery to show up
        CHECK(setup.app.Events(pubsub, "bulk-dead").size() == 2);
        size_t total = 0;
        for (const auto& batch : setup.app.Batches()) total += batch.request.entries_size();
        CHECK(total == sent.size());
      }
    }
  }
}

TEST_CASE("routing rules send each event to the first matching rule's path, else the default",
          "[integration][pubsub][delivery]") {
  for (std::string pubsub : kPubsubs) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      auto routed = Sub(pubsub, "routed");
      auto* rule = routed.mutable_routes()->add_rules();
      rule->set_match(R"(event.type == "a")");
      rule->set_path("/a");
      rule = routed.mutable_routes()->add_rules();
      rule->set_match("has(event.data.price) && event.data.price > 100");
      rule->set_path("/expensive");
      routed.mutable_routes()->set_default_("/other");
      auto bad = Sub(pubsub, "bad-rule");
      rule = bad.mutable_routes()->add_rules();
      rule->set_match("event.type.matches('x')");
      rule->set_path("/x");
      json extra = {{"subscriptions",
                     {{{"name", "declared-bad"},
                       {"pubsubname", pubsub},
                       {"topic", "declared-bad"},
                       {"routes", {{"rules", {{{"match", "event.type ="}, {"path", "/p"}}}}}}}}}};
      Setup setup({routed, bad}, extra);
      REQUIRE(setup.sample);
      REQUIRE(setup.host->started());
      INFO("host log:\n" << setup.host->Log());
      REQUIRE(setup.Subscribed(1));
      auto& dapr = setup.host->dapr();
      REQUIRE(Publish(dapr, pubsub, "routed",
                      R"({"specversion":"1.0","id":"e1","source":"t","type":"a",)"
                      R"("datacontenttype":"application/json","data":{"price":5}})",
                      {}, "application/cloudevents+json")
                  .ok());
      REQUIRE(Publish(dapr, pubsub, "routed", R"({"price":150})", {}, "application/json").ok());
      REQUIRE(Publish(dapr, pubsub, "routed", R"({"price":50})", {}, "application/json").ok());
      REQUIRE(Eventually([&] { return setup.app.Events(pubsub, "routed").size() >= 3; }));
      std::map<std::string, std::string> paths;  // data -> path
      for (const auto& r : setup.app.Events(pubsub, "routed"))
        paths[r.event.data()] = r.event.path();
      CHECK(paths[R"({"price":5})"] == "/a");
      CHECK(paths[R"({"price":150})"] == "/expensive");
      CHECK(paths[R"({"price":50})"] == "/other");
      // A rule outside the subset is an error naming the subscription and the expression.
      auto log = setup.host->Log();
      CHECK_THAT(log, Catch::Contains("subscription to topic 'bad-rule' of pubsub '" + pubsub +
                                      "' not made: routing rule 'event.type.matches('x')'"));
      CHECK_THAT(log, Catch::Contains("declarative subscription to topic 'declared-bad'"));
      rt::GetMetadataResponse metadata;
      REQUIRE(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
      CHECK(metadata.subscriptions_size() == 1);
    }
  }
}

// Not part of the suite (hidden tag): publish -> OnTopicEvent throughput and latency, in order
// (the default) and with plughost.io/maxConcurrency 16, printed for bench/RESULTS.md:
//   build/test/integration/pubsub_delivery_test "[.bench]"   (with the suite's environment)
// PLUGHOST_BENCH_PAYLOAD_BYTES=16384 pads each message's text to that size.
TEST_CASE("bench: publish to app delivery", "[.bench]") {
  constexpr int kCount = 2000;
  constexpr int kPublishers = 4;
  const char* payload_bytes = std::getenv("PLUGHOST_BENCH_PAYLOAD_BYTES");
  const size_t payload_size = payload_bytes ? std::stoul(payload_bytes) : 0;
  for (std::string pubsub : kPubsubs) {
    for (std::string concurrency : {"1", "16"}) {
      Setup setup({Sub(pubsub, "bench", "", {{"plughost.io/maxConcurrency", concurrency}})});
      REQUIRE(setup.host->started());
      REQUIRE(setup.Subscribed(1));
      std::mutex mutex;
      std::map<std::string, std::chrono::steady_clock::time_point> published;
      auto start = std::chrono::steady_clock::now();
      std::vector<std::thread> publishers;
      for (int p = 0; p < kPublishers; ++p) {
        publishers.emplace_back([&, p] {
          for (int i = p; i < kCount; i += kPublishers) {
            std::string data = std::to_string(i) + ':';
            if (data.size() < payload_size) data.resize(payload_size, 'p');
            auto at = std::chrono::steady_clock::now();
            {
              std::lock_guard lock(mutex);
              published[data] = at;
            }
            Publish(setup.host->dapr(), pubsub, "bench", data);
          }
        });
      }
      for (auto& t : publishers) t.join();
      REQUIRE(Eventually([&] { return setup.app.Events(pubsub, "bench").size() >= size_t{kCount}; },
                         120s));
      auto events = setup.app.Events(pubsub, "bench");
      std::vector<double> latencies_ms;
      auto last = start;
      for (const auto& r : events) {
        latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(r.at - published[r.event.data()]).count());
        last = std::max(last, r.at);
      }
      std::sort(latencies_ms.begin(), latencies_ms.end());
      double seconds = std::chrono::duration<double>(last - start).count();
      std::printf(
          "pubsub %-10s maxConcurrency %-2s  %d msgs (%s), %d publishers: %.0f msg/s, "
          "p50 %.2f ms, p99 %.2f ms\n",
          pubsub.c_str(), concurrency.c_str(), kCount,
          payload_size ? (std::to_string(payload_size) + " B").c_str() : "a few bytes", kPublishers,
          kCount / seconds, latencies_ms[latencies_ms.size() / 2],
          latencies_ms[latencies_ms.size() * 99 / 100]);
    }
  }
}

}  // namespace plughost::testing
