// App health checks (--enable-app-health-check) with a gRPC app, through the real host: the app
// is probed with AppCallbackHealthCheck/HealthCheck, and its pub/sub and input-binding
// deliveries start only once it is healthy, pause while it is unhealthy and start again after.
// (The HTTP app's probe is tested in test/app_http.)
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;
using nlohmann::json;

// Subscribes to pubsub/orders and handles the input binding "ticker"; records what arrives.
class App final : public rt::AppCallback::Service {
 public:
  grpc::Status ListTopicSubscriptions(grpc::ServerContext*, const google::protobuf::Empty*,
                                      rt::ListTopicSubscriptionsResponse* response) override {
    ++listings;
    auto* subscription = response->add_subscriptions();
    subscription->set_pubsub_name("pubsub");
    subscription->set_topic("orders");
    return grpc::Status::OK;
  }
  grpc::Status OnTopicEvent(grpc::ServerContext*, const rt::TopicEventRequest* request,
                            rt::TopicEventResponse* response) override {
    {
      std::lock_guard lock(mutex);
      events.push_back(request->data());
    }
    response->set_status(rt::TopicEventResponse::SUCCESS);
    return grpc::Status::OK;
  }
  grpc::Status ListInputBindings(grpc::ServerContext*, const google::protobuf::Empty*,
                                 rt::ListInputBindingsResponse* response) override {
    response->add_bindings("ticker");
    return grpc::Status::OK;
  }
  grpc::Status OnBindingEvent(grpc::ServerContext*, const rt::BindingEventRequest*,
                              rt::BindingEventResponse*) override {
    ++ticks;
    return grpc::Status::OK;
  }

  bool Received(const std::string& data) {
    std::lock_guard lock(mutex);
    for (const auto& event : events) {
      if (event == data) return true;
    }
    return false;
  }

  std::atomic<int> listings{0};
  std::atomic<int> ticks{0};
  std::mutex mutex;
  std::vector<std::string> events;
};

class Health final : public rt::AppCallbackHealthCheck::Service {
 public:
  grpc::Status HealthCheck(grpc::ServerContext* context, const google::protobuf::Empty*,
                           rt::HealthCheckResponse*) override {
    ++probes;
    if (context->client_metadata().count("dapr-api-token") > 0) token_seen = true;
    if (!healthy) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not ready");
    return grpc::Status::OK;
  }
  std::atomic<bool> healthy{false};
  std::atomic<int> probes{0};
  std::atomic<bool> token_seen{false};
};

grpc::Status Publish(rt::Dapr::Stub& dapr, const std::string& data) {
  rt::PublishEventRequest request;
  request.set_pubsub_name("pubsub");
  request.set_topic("orders");
  request.set_data(data);
  request.set_data_content_type("text/plain");
  google::protobuf::Empty empty;
  return dapr.PublishEvent(Deadline().get(), request, &empty);
}

TEST_CASE("a gRPC app is probed with HealthCheck; deliveries follow its health",
          "[integration][app-health]") {
  TempDir dir;
  App app;
  Health health;
  int port = FreeTcpPort();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials());
  builder.RegisterService(&app);
  builder.RegisterService(&health);
  auto server = builder.BuildAndStart();
  REQUIRE(server);
  json config = {{"app_id", "health-app"},
                 {"components",
                  {{{"name", "pubsub"}, {"type", "pubsub.in-memory"}},
                   {{"name", "ticker"},
                    {"type", "bindings.cron"},
                    {"metadata", {{"schedule", "@every 200ms"}}}}}}};
  WriteFile(dir.File("config.json"), config.dump(2));
  ::setenv("APP_API_TOKEN", "app-secret", 1);
  auto host = std::make_unique<RunningHost>(
      dir, dir.path(),
      std::vector<std::string>{"--config", dir.File("config.json"), "--app-address",
                               "127.0.0.1:" + std::to_string(port), "--enable-app-health-check",
                               "--app-health-probe-interval", "1", "--app-health-threshold", "2"});
  ::unsetenv("APP_API_TOKEN");
  REQUIRE(host->started());

  // Unhealthy from the start: probed, but nothing listed or delivered.
  REQUIRE(Eventually([&] { return health.probes >= 2; }));
  CHECK(app.listings == 0);
  CHECK(app.ticks == 0);
  CHECK_FALSE(health.token_seen);  // daprd's probe carries no app token

  health.healthy = true;
  REQUIRE(Eventually([&] { return app.ticks > 0; }));
  REQUIRE(Eventually([&] {
    Publish(host->dapr(), "while healthy");
    return app.Received("while healthy");
  }));

  // Two failed probes in a row (the threshold): paused.
  health.healthy = false;
  REQUIRE(Eventually(
      [&] { return host->Log().find("app entered unhealthy status") != std::string::npos; }));
  int after_change = health.probes;
  REQUIRE(Eventually([&] { return health.probes >= after_change + 1; }));  // paused by now
  int ticks = app.ticks;
  REQUIRE(Publish(host->dapr(), "while unhealthy").ok());
  int later = health.probes;
  REQUIRE(Eventually([&] { return health.probes >= later + 2; }));
  CHECK(app.ticks == ticks);
  CHECK_FALSE(app.Received("while unhealthy"));

  // One good probe: healthy again, the deliveries start afresh (the app is asked again).
  int listings = app.listings;
  health.healthy = true;
  REQUIRE(Eventually([&] { return app.ticks > ticks; }));
  REQUIRE(Eventually([&] { return app.listings > listings; }));
  REQUIRE(Eventually([&] {
    Publish(host->dapr(), "healthy again");
    return app.Received("healthy again");
  }));

  host.reset();
  server->Shutdown(std::chrono::system_clock::now() + 500ms);
}

TEST_CASE("a gRPC app without AppCallbackHealthCheck stays unhealthy, as in daprd",
          "[integration][app-health]") {
  TempDir dir;
  App app;
  int port = FreeTcpPort();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials());
  builder.RegisterService(&app);  // no health service
  auto server = builder.BuildAndStart();
  REQUIRE(server);
  WriteFile(
      dir.File("config.json"),
      R"({"app_id": "no-health", "components": [{"name": "pubsub", "type": "pubsub.in-memory"}]})");
  auto host = std::make_unique<RunningHost>(
      dir, dir.path(),
      std::vector<std::string>{"--config", dir.File("config.json"), "--app-address",
                               "127.0.0.1:" + std::to_string(port), "--enable-app-health-check",
                               "--app-health-probe-interval", "1"});
  REQUIRE(host->started());
  REQUIRE(Eventually([&] {
    return host->Log().find("does not implement AppCallbackHealthCheck") != std::string::npos;
  }));
  CHECK(app.listings == 0);
  host.reset();
  server->Shutdown(std::chrono::system_clock::now() + 500ms);
}

}  // namespace
}  // namespace plughost::testing
