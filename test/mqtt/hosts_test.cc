// plughost-mqtt through real hosts on one real mosquitto: two apps (different app ids, so
// different MQTT client ids) each receive every message published through one of them; a
// wildcard subscription receives from the matching topics only; messages an app left unanswered
// come back when it subscribes again; an MQTT input binding's events reach an app.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <mutex>
#include <set>

#include "dapr/proto/components/v1/pubsub.grpc.pb.h"
#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"
#include "test/distributed/subscriber.h"
#include "test/mqtt/mosquitto_broker.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;

// One app's host with its own plughost-mqtt beside it.
struct MqttHost {
  std::string sockets;
  std::unique_ptr<ChildProcess> component;
  std::unique_ptr<RunningHost> host;
};

std::unique_ptr<MqttHost> StartHost(const TempDir& dir, const std::string& app_id,
                                    const MosquittoBroker& broker,
                                    std::vector<std::string> extra_args = {}) {
  auto started = std::make_unique<MqttHost>();
  started->sockets = dir.File(app_id);
  ::mkdir(started->sockets.c_str(), 0700);
  started->component =
      ChildProcess::Spawn({RequiredEnv("MQTT_COMPONENT_BIN"), "--sockets-dir", started->sockets},
                          dir.File(app_id + "-mqtt.log"));
  for (const char* socket : {"/mqtt-bindings.sock", "/mqtt-pubsub.sock"}) {
    WaitForSocket(started->sockets + socket, 10s);
  }
  std::string config = dir.File(app_id + ".json");
  // The pub/sub names no consumerID: the host gives it the app id (the MQTT client id), as
  // daprd does, so two apps are two clients. Bindings get none from daprd, so they name theirs.
  WriteFile(config, R"({"app_id": ")" + app_id + R"(", "components": [
    {"name": "pubsub", "type": "pubsub.mqtt-pubsub",
     "metadata": {"url": ")" +
                        broker.url() + R"("}},
    {"name": "events", "type": "bindings.mqtt-bindings",
     "metadata": {"url": ")" +
                        broker.url() + R"(", "consumerID": ")" + app_id +
                        R"(", "topic": "events/)" + app_id + R"("}}
  ]})");
  std::vector<std::string> args = {"--config", config};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  started->host = std::make_unique<RunningHost>(dir, started->sockets, args);
  return started;
}

grpc::Status Publish(RunningHost& host, const std::string& topic, const std::string& data) {
  rt::PublishEventRequest request;
  request.set_pubsub_name("pubsub");
  request.set_topic(topic);
  request.set_data(data);
  request.set_data_content_type("text/plain");
  google::protobuf::Empty empty;
  return host.dapr().PublishEvent(Deadline().get(), request, &empty);
}

// Publishes probes on `topic` until every subscriber got one: the MQTT subscriptions are in
// place on the broker.
bool WarmUp(RunningHost& host, const std::string& topic, std::vector<Subscriber*> subscribers) {
  int probe = 0;
  return Eventually(
      [&] {
        (void)Publish(host, topic, "probe-" + std::to_string(++probe));
        for (Subscriber* subscriber : subscribers) {
          if (subscriber->count() == 0) return false;
        }
        return true;
      },
      20s);
}

std::set<std::string> Matching(const std::vector<std::string>& received,
                               const std::string& prefix) {
  std::set<std::string> matching;
  for (const auto& data : received) {
    if (data.rfind(prefix, 0) == 0) matching.insert(data);
  }
  return matching;
}

// The app side of an input binding: lists `events`, records each event.
class BindingApp final : public rt::AppCallback::Service {
 public:
  grpc::Status ListInputBindings(grpc::ServerContext*, const google::protobuf::Empty*,
                                 rt::ListInputBindingsResponse* response) override {
    response->add_bindings("events");
    return grpc::Status::OK;
  }
  grpc::Status OnBindingEvent(grpc::ServerContext*, const rt::BindingEventRequest* request,
                              rt::BindingEventResponse*) override {
    std::lock_guard lock(mutex_);
    events_.push_back({request->data(), request->metadata().count("topic") > 0
                                            ? request->metadata().at("topic")
                                            : ""});
    return grpc::Status::OK;
  }
  std::vector<std::pair<std::string, std::string>> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> events_;  // data, topic metadata
};

}  // namespace

TEST_CASE("two apps each receive every message published through one of them", "[mqtt]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  auto alpha = StartHost(dir, "alpha", broker);
  auto beta = StartHost(dir, "beta", broker);
  REQUIRE(alpha->host->started());
  REQUIRE(beta->host->started());

  Subscriber at_alpha(alpha->host->dapr(), "pubsub", "orders", true);
  Subscriber at_beta(beta->host->dapr(), "pubsub", "orders", true);
  REQUIRE(at_alpha.WaitOpened());
  REQUIRE(at_beta.WaitOpened());
  REQUIRE(WarmUp(*alpha->host, "orders", {&at_alpha, &at_beta}));

  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    REQUIRE(Publish(*alpha->host, "orders", "m-" + std::to_string(i)).ok());
  }
  CHECK(Eventually([&] {
    return Matching(at_alpha.received(), "m-").size() == kMessages &&
           Matching(at_beta.received(), "m-").size() == kMessages;
  }));
  CHECK(Matching(at_alpha.received(), "m-").size() == kMessages);
  CHECK(Matching(at_beta.received(), "m-").size() == kMessages);
}

TEST_CASE("replicas share a topic through $share: each message goes to one of them", "[mqtt]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  auto first = StartHost(dir, "replica-1", broker);
  auto second = StartHost(dir, "replica-2", broker);
  REQUIRE(first->host->started());
  REQUIRE(second->host->started());
  Subscriber at_first(first->host->dapr(), "pubsub", "$share/workers/jobs", true);
  Subscriber at_second(second->host->dapr(), "pubsub", "$share/workers/jobs", true);
  REQUIRE(at_first.WaitOpened());
  REQUIRE(at_second.WaitOpened());
  REQUIRE(WarmUp(*first->host, "jobs", {&at_first, &at_second}));

  constexpr int kMessages = 100;
  for (int i = 0; i < kMessages; ++i) {
    REQUIRE(Publish(*first->host, "jobs", "job-" + std::to_string(i)).ok());
  }
  auto total = [&] {
    return Matching(at_first.received(), "job-").size() +
           Matching(at_second.received(), "job-").size();
  };
  CHECK(Eventually([&] { return total() >= kMessages; }));
  std::set<std::string> all = Matching(at_first.received(), "job-");
  for (const auto& data : Matching(at_second.received(), "job-")) all.insert(data);
  CHECK(all.size() == kMessages);
  CHECK(total() == kMessages);  // none went to both
  CHECK(!Matching(at_first.received(), "job-").empty());
  CHECK(!Matching(at_second.received(), "job-").empty());
}

TEST_CASE("a publish with metadata retain=true reaches a later subscriber", "[mqtt]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  auto alpha = StartHost(dir, "alpha", broker);
  REQUIRE(alpha->host->started());
  for (bool retain : {false, true}) {
    rt::PublishEventRequest request;
    request.set_pubsub_name("pubsub");
    request.set_topic(retain ? "status/retained" : "status/plain");
    request.set_data(retain ? "kept by the broker" : "gone");
    request.set_data_content_type("text/plain");
    (*request.mutable_metadata())["retain"] = retain ? "true" : "false";
    google::protobuf::Empty empty;
    REQUIRE(alpha->host->dapr().PublishEvent(Deadline().get(), request, &empty).ok());
  }
  Subscriber later(alpha->host->dapr(), "pubsub", "status/#", true);
  REQUIRE(later.WaitOpened());
  CHECK(Eventually([&] { return later.count() > 0; }));
  // A probe after the retained one: once it arrived, anything before it would have too.
  int probe = 0;
  REQUIRE(Eventually([&] {
    (void)Publish(*alpha->host, "status/probe", "probe-" + std::to_string(++probe));
    return !Matching(later.received(), "probe-").empty();
  }));
  CHECK(Matching(later.received(), "kept") == std::set<std::string>{"kept by the broker"});
  CHECK(Matching(later.received(), "gone").empty());
}

TEST_CASE(
    "the persistent session: messages published while plughost-mqtt was killed arrive after it "
    "restarts",
    "[mqtt]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  auto alpha = StartHost(dir, "alpha", broker);
  auto beta = StartHost(dir, "beta", broker);
  REQUIRE(alpha->host->started());
  REQUIRE(beta->host->started());
  Subscriber at_beta(beta->host->dapr(), "pubsub", "orders", true);
  REQUIRE(at_beta.WaitOpened());
  REQUIRE(WarmUp(*alpha->host, "orders", {&at_beta}));

  beta->component.reset();  // SIGKILL: beta's MQTT client is gone, its session stays
  for (int i = 0; i < 10; ++i) {
    REQUIRE(Publish(*alpha->host, "orders", "while-away-" + std::to_string(i)).ok());
  }
  beta->component =
      ChildProcess::Spawn({RequiredEnv("MQTT_COMPONENT_BIN"), "--sockets-dir", beta->sockets},
                          dir.File("beta-mqtt-2.log"));
  CHECK(Eventually([&] { return Matching(at_beta.received(), "while-away-").size() == 10; }, 30s));
}

TEST_CASE("a wildcard subscription receives from the matching topics only", "[mqtt]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  auto alpha = StartHost(dir, "alpha", broker);
  REQUIRE(alpha->host->started());

  Subscriber sensors(alpha->host->dapr(), "pubsub", "sensors/+/temperature", true);
  Subscriber everything(alpha->host->dapr(), "pubsub", "plant/#", true);
  REQUIRE(sensors.WaitOpened());
  REQUIRE(everything.WaitOpened());
  REQUIRE(WarmUp(*alpha->host, "sensors/probe/temperature", {&sensors}));
  REQUIRE(WarmUp(*alpha->host, "plant/probe", {&everything}));

  for (const char* topic : {"sensors/a/temperature", "sensors/b/temperature", "sensors/a/humidity",
                            "plant/hall/1", "other/x"}) {
    REQUIRE(Publish(*alpha->host, topic, std::string("on ") + topic).ok());
  }
  CHECK(Eventually([&] {
    return Matching(sensors.received(), "on ").size() == 2 &&
           Matching(everything.received(), "on ").size() == 1;
  }));
  CHECK(Matching(sensors.received(), "on ") ==
        std::set<std::string>{"on sensors/a/temperature", "on sensors/b/temperature"});
  CHECK(Matching(everything.received(), "on ") == std::set<std::string>{"on plant/hall/1"});
}

TEST_CASE("messages left unanswered come back when the app subscribes again", "[mqtt]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  auto alpha = StartHost(dir, "alpha", broker);
  REQUIRE(alpha->host->started());
  {
    Subscriber silent(alpha->host->dapr(), "pubsub", "jobs", /*answer=*/false);
    REQUIRE(silent.WaitOpened());
    REQUIRE(WarmUp(*alpha->host, "jobs", {&silent}));
    for (int i = 0; i < 20; ++i)
      REQUIRE(Publish(*alpha->host, "jobs", "job-" + std::to_string(i)).ok());
    REQUIRE(Eventually([&] { return Matching(silent.received(), "job-").size() == 20; }));
  }  // the stream closes with all 20 unanswered
  Subscriber again(alpha->host->dapr(), "pubsub", "jobs", true);
  REQUIRE(again.WaitOpened());
  CHECK(Eventually([&] { return Matching(again.received(), "job-").size() == 20; }));
}

TEST_CASE("an MQTT input binding's events reach the app", "[mqtt]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  int app_port = FreeTcpPort();
  BindingApp app;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(app_port),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&app);
  auto server = builder.BuildAndStart();
  REQUIRE(server);
  auto alpha =
      StartHost(dir, "alpha", broker, {"--app-address", "127.0.0.1:" + std::to_string(app_port)});
  auto beta = StartHost(dir, "beta", broker);
  REQUIRE(alpha->host->started());
  REQUIRE(beta->host->started());

  // beta's output binding publishes to alpha's input topic; alpha's app gets the events.
  int sent = 0;
  REQUIRE(Eventually([&] {
    rt::InvokeBindingRequest request;
    request.set_name("events");
    request.set_operation("create");
    request.set_data("event-" + std::to_string(sent++));
    (*request.mutable_metadata())["topic"] = "events/alpha";
    rt::InvokeBindingResponse response;
    (void)beta->host->dapr().InvokeBinding(Deadline().get(), request, &response);
    return !app.events().empty();
  }));
  auto events = app.events();
  CHECK(events.front().first.rfind("event-", 0) == 0);
  CHECK(events.front().second == "events/alpha");
  server->Shutdown(std::chrono::system_clock::now() + 500ms);
}

TEST_CASE("Ping follows the broker, and a host's subscription resumes after a broker restart",
          "[mqtt]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  auto alpha = StartHost(dir, "alpha", broker);
  REQUIRE(alpha->host->started());

  namespace cpb = ::dapr::proto::components::v1;
  auto channel = grpc::CreateChannel("unix:" + alpha->sockets + "/mqtt-pubsub.sock",
                                     grpc::InsecureChannelCredentials());
  auto stub = cpb::PubSub::NewStub(channel);
  auto ping = [&] {
    auto context = Deadline();
    context->AddMetadata("x-component-instance", "pubsub");
    cpb::PingRequest request;
    cpb::PingResponse response;
    return stub->Ping(context.get(), request, &response);
  };
  CHECK(ping().ok());

  Subscriber orders(alpha->host->dapr(), "pubsub", "orders", true);
  REQUIRE(orders.WaitOpened());
  REQUIRE(WarmUp(*alpha->host, "orders", {&orders}));

  broker.Kill();
  CHECK(Eventually([&] { return ping().error_code() == grpc::StatusCode::UNAVAILABLE; }));
  CHECK(!Publish(*alpha->host, "orders", "while-down").ok());
  REQUIRE(broker.Restart());
  CHECK(Eventually([&] { return ping().ok(); }));
  // The new broker knows no session: the component subscribes again on connect.
  int sent = 0;
  CHECK(Eventually([&] {
    (void)Publish(*alpha->host, "orders", "after-" + std::to_string(sent++));
    return !Matching(orders.received(), "after-").empty();
  }));
}

// Not in `meson test` (hidden): a rough figure of publish -> app through two hosts.
TEST_CASE("figures: 2,000 messages published through one host reach two apps", "[.][bench]") {
  TempDir dir;
  MosquittoBroker broker(dir);
  REQUIRE(broker.started());
  auto alpha = StartHost(dir, "alpha", broker);
  auto beta = StartHost(dir, "beta", broker);
  REQUIRE(alpha->host->started());
  REQUIRE(beta->host->started());
  Subscriber at_alpha(alpha->host->dapr(), "pubsub", "bench", true);
  Subscriber at_beta(beta->host->dapr(), "pubsub", "bench", true);
  REQUIRE(at_alpha.WaitOpened());
  REQUIRE(at_beta.WaitOpened());
  REQUIRE(WarmUp(*alpha->host, "bench", {&at_alpha, &at_beta}));
  constexpr int kMessages = 2000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    REQUIRE(Publish(*alpha->host, "bench", "b-" + std::to_string(i)).ok());
  }
  auto published = std::chrono::steady_clock::now();
  REQUIRE(Eventually(
      [&] {
        return Matching(at_alpha.received(), "b-").size() == kMessages &&
               Matching(at_beta.received(), "b-").size() == kMessages;
      },
      120s));
  auto delivered = std::chrono::steady_clock::now();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  WARN("sequential publishes (each waits for PUBACK): "
       << kMessages << " in " << ms(published - start) << " ms; all delivered to both apps after "
       << ms(delivered - start) << " ms");
}

}  // namespace plughost::testing
