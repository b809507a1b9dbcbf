// The HTTP app channel (--app-protocol http) through the real host and a real HTTP app
// (test/app_http/http_app.py, written as Dapr HTTP apps are): subscriptions from
// GET /dapr/subscribe, events as POST /<route> with daprd's answer rules, input bindings found
// with OPTIONS and delivered as POST /<binding>, the app token on every request; bulk
// deliveries (programmatic and declarative), configuration updates from the HTTP API,
// GET /dapr/config, and the health probe pausing and resuming deliveries.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test/support/http_client.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using nlohmann::json;
using namespace std::chrono_literals;

// Every request the app saw, in order.
std::vector<json> Recorded(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto entry = json::parse(line, nullptr, false);
    if (!entry.is_discarded()) out.push_back(std::move(entry));
  }
  return out;
}

std::vector<json> RequestsTo(const std::string& record, const std::string& method,
                             const std::string& path) {
  std::vector<json> out;
  for (auto& entry : Recorded(record)) {
    if (entry["method"] == method && entry["path"] == path) out.push_back(entry);
  }
  return out;
}

grpc::Status Publish(rt::Dapr::Stub& dapr, const std::string& topic, const std::string& data,
                     const std::string& content_type = "application/json") {
  rt::PublishEventRequest request;
  request.set_pubsub_name("pubsub");
  request.set_topic(topic);
  request.set_data(data);
  request.set_data_content_type(content_type);
  google::protobuf::Empty empty;
  return dapr.PublishEvent(Deadline().get(), request, &empty);
}

struct HttpAppSetup {
  TempDir dir;
  std::string record = dir.File("requests.jsonl");
  int app_port = FreeTcpPort();
  std::unique_ptr<ChildProcess> app;

  HttpAppSetup() {
    app = ChildProcess::Spawn(
        {RequiredEnv("PYTHON_BIN"), RequiredEnv("HTTP_APP"), std::to_string(app_port), record},
        dir.File("app.log"));
    REQUIRE(WaitForPort(app_port, 10s));
  }

  std::string WriteConfig() const {
    json config = {{"app_id", "http-app"},
                   {"components",
                    {{{"name", "pubsub"}, {"type", "pubsub.in-memory"}},
                     {{"name", "ticker"},
                      {"type", "bindings.cron"},
                      {"metadata", {{"schedule", "@every 200ms"}}}},
                     {{"name", "unlisted"},
                      {"type", "bindings.cron"},
                      {"metadata", {{"schedule", "@every 200ms"}}}}}}};
    std::string path = dir.File("config.json");
    WriteFile(path, config.dump(2));
    return path;
  }
};

TEST_CASE(
    "HTTP app: subscriptions come from GET /dapr/subscribe and events arrive as daprd "
    "sends them") {
  HttpAppSetup setup;
  RunningHost host(setup.dir, setup.dir.path(),
                   {"--config", setup.WriteConfig(), "--app-protocol", "http", "--app-address",
                    "127.0.0.1:" + std::to_string(setup.app_port)});
  REQUIRE(host.started());

  REQUIRE(Eventually([&] { return !RequestsTo(setup.record, "GET", "/dapr/subscribe").empty(); }));
  auto listing = RequestsTo(setup.record, "GET", "/dapr/subscribe").front();
  CHECK(listing["headers"]["dapr-app-id"] == "http-app");
  // GET /dapr/config is asked too; the actor types it names are logged as not served.
  REQUIRE(Eventually([&] { return !RequestsTo(setup.record, "GET", "/dapr/config").empty(); }));
  CHECK(RequestsTo(setup.record, "GET", "/dapr/config").front()["headers"]["dapr-app-id"] ==
        "http-app");
  REQUIRE(Eventually([&] {
    return host.Log().find("actor types Cart") != std::string::npos &&
           host.Log().find("plughost serves no actors") != std::string::npos;
  }));

  // Subscriptions take effect once listed; publish until the first event arrives.
  REQUIRE(Eventually([&] {
    Publish(host.dapr(), "orders", R"({"n":1})");
    return !RequestsTo(setup.record, "POST", "/orders").empty();
  }));
  auto event = RequestsTo(setup.record, "POST", "/orders").front();
  CHECK(event["headers"]["content-type"] == "application/cloudevents+json");
  CHECK(event["headers"]["pubsubname"] == "pubsub");
  auto body = json::parse(event["body"].get<std::string>());
  CHECK(body["topic"] == "orders");
  CHECK(body["pubsubname"] == "pubsub");
  CHECK(body["specversion"] == "1.0");
  CHECK(body["datacontenttype"] == "application/json");
  CHECK(body["data"] == json{{"n", 1}});
  CHECK_FALSE(body["id"].get<std::string>().empty());

  SECTION("a text payload arrives as a string") {
    REQUIRE(Publish(host.dapr(), "orders", "plain words", "text/plain").ok());
    REQUIRE(Eventually([&] {
      for (auto& entry : RequestsTo(setup.record, "POST", "/orders")) {
        auto parsed = json::parse(entry["body"].get<std::string>());
        if (parsed["data"] == "plain words") return true;
      }
      return false;
    }));
  }

  SECTION("RETRY and an HTTP error are retried; the event comes again with the same id") {
    REQUIRE(Publish(host.dapr(), "retries", R"({"r":1})").ok());
    REQUIRE(Publish(host.dapr(), "teapots", R"({"t":1})").ok());
    REQUIRE(
        Eventually([&] { return RequestsTo(setup.record, "POST", "/retry-once").size() >= 2; }));
    REQUIRE(Eventually([&] { return RequestsTo(setup.record, "POST", "/teapot").size() >= 2; }));
    auto retries = RequestsTo(setup.record, "POST", "/retry-once");
    CHECK(json::parse(retries[0]["body"].get<std::string>())["id"] ==
          json::parse(retries[1]["body"].get<std::string>())["id"]);
  }

  SECTION("a v2 subscription's default route is used when no rule matches") {
    REQUIRE(Publish(host.dapr(), "v2", R"({"v":2})").ok());
    REQUIRE(Eventually([&] {
      for (auto& entry : RequestsTo(setup.record, "POST", "/orders")) {
        if (json::parse(entry["body"].get<std::string>())["topic"] == "v2") return true;
      }
      return false;
    }));
    CHECK(RequestsTo(setup.record, "POST", "/never").empty());
  }

  SECTION("404 drops the event: it is not sent again") {
    REQUIRE(Publish(host.dapr(), "gone", R"({"g":1})").ok());
    REQUIRE(Eventually([&] { return RequestsTo(setup.record, "POST", "/gone").size() == 1; }));
    // Events published after it are delivered, and the dropped one has not come back.
    REQUIRE(Publish(host.dapr(), "gone", R"({"g":2})").ok());
    REQUIRE(Eventually([&] { return RequestsTo(setup.record, "POST", "/gone").size() >= 2; }));
    auto gone = RequestsTo(setup.record, "POST", "/gone");
    CHECK(json::parse(gone[0]["body"].get<std::string>())["id"] !=
          json::parse(gone[1]["body"].get<std::string>())["id"]);
  }
}

// Every entry of every bulk delivery to `path`, each with the envelope it came in.
struct BulkEntry {
  json envelope;
  json entry;
};
std::vector<BulkEntry> BulkEntries(const std::string& record, const std::string& path) {
  std::vector<BulkEntry> out;
  for (auto& request : RequestsTo(record, "POST", path)) {
    auto envelope = json::parse(request["body"].get<std::string>(), nullptr, false);
    if (!envelope.is_object() || !envelope["entries"].is_array()) continue;
    for (const auto& entry : envelope["entries"]) out.push_back({envelope, entry});
  }
  return out;
}

// How many times the event whose data has this "n" came in a bulk delivery.
size_t TimesDelivered(const std::string& record, int n) {
  size_t count = 0;
  for (auto& [envelope, entry] : BulkEntries(record, "/bulk")) {
    if (entry["event"].is_object() && entry["event"]["data"].is_object() &&
        entry["event"]["data"].value("n", -1) == n) {
      ++count;
    }
  }
  return count;
}

TEST_CASE("HTTP app: a bulkSubscribe subscription gets daprd's bulk envelope") {
  HttpAppSetup setup;
  // A declarative bulk subscription too, from a Dapr resource file.
  std::string resources = setup.dir.File("resources");
  REQUIRE(::mkdir(resources.c_str(), 0700) == 0);
  WriteFile(resources + "/subscription.yaml", R"(apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: declared-bulk
spec:
  pubsubname: pubsub
  topic: declared-bulk
  routes: {default: /bulk}
  bulkSubscribe: {enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 100}
)");
  RunningHost host(
      setup.dir, setup.dir.path(),
      {"--config", setup.WriteConfig(), "--resources-path", resources, "--app-protocol", "http",
       "--app-address", "127.0.0.1:" + std::to_string(setup.app_port)});
  REQUIRE(host.started());
  // Subscriptions take effect once listed; publish until the first batch arrives.
  REQUIRE(Eventually([&] {
    Publish(host.dapr(), "bulk", R"({"act":"success","n":0})");
    return !RequestsTo(setup.record, "POST", "/bulk").empty();
  }));
  auto request = RequestsTo(setup.record, "POST", "/bulk").front();
  CHECK(request["headers"]["content-type"] == "application/json");
  CHECK(request["headers"]["pubsubname"] == "pubsub");
  auto envelope = json::parse(request["body"].get<std::string>());
  CHECK(envelope["type"] == "com.dapr.event.sent.bulk");
  CHECK(envelope["topic"] == "bulk");
  CHECK(envelope["pubsubname"] == "pubsub");
  CHECK_FALSE(envelope["id"].get<std::string>().empty());
  CHECK(envelope["metadata"]["pubsubName"] == "pubsub");
  REQUIRE_FALSE(envelope["entries"].empty());
  auto entry = envelope["entries"][0];
  CHECK_FALSE(entry["entryId"].get<std::string>().empty());
  CHECK(entry["metadata"].is_object());
  CHECK(entry["contentType"] == "application/cloudevents+json");
  CHECK(entry["event"]["data"]["act"] == "success");
  CHECK(entry["event"]["topic"] == "bulk");
  CHECK(entry["event"]["specversion"] == "1.0");

  SECTION("each entry is settled by its own status; RETRY and left-out entries come again") {
    int n = 0;  // 1 success, 2 retry-once, 3 omit-once, 4 drop
    for (const char* act : {"success", "retry-once", "omit-once", "drop"}) {
      REQUIRE(Publish(host.dapr(), "bulk", json{{"act", act}, {"n", ++n}}.dump()).ok());
    }
    // n=2 was answered RETRY once, n=3 was left out once: both come again, then succeed.
    REQUIRE(Eventually([&] { return TimesDelivered(setup.record, 2) >= 2; }));
    REQUIRE(Eventually([&] { return TimesDelivered(setup.record, 3) >= 2; }));
    // Published after the others: once it is in, a redelivery of 1 or 4 would have been too.
    REQUIRE(Publish(host.dapr(), "bulk", R"({"act":"success","n":99})").ok());
    REQUIRE(Eventually([&] { return TimesDelivered(setup.record, 99) >= 1; }));
    CHECK(TimesDelivered(setup.record, 1) == 1);  // SUCCESS
    CHECK(TimesDelivered(setup.record, 4) == 1);  // DROP
  }

  SECTION("a declarative bulk Subscription is delivered in bulk too") {
    REQUIRE(Eventually([&] {
      Publish(host.dapr(), "declared-bulk", R"({"act":"success","declared":1})");
      for (auto& [declared_envelope, declared_entry] : BulkEntries(setup.record, "/bulk")) {
        if (declared_envelope["topic"] == "declared-bulk") {
          return declared_entry["event"]["data"]["declared"] == 1;
        }
      }
      return false;
    }));
  }

  SECTION("with rawPayload, each event is the base64 of the message's bytes") {
    REQUIRE(Eventually([&] {
      Publish(host.dapr(), "bulk-raw", R"({"raw":1})");
      for (auto& [raw_envelope, raw_entry] : BulkEntries(setup.record, "/bulk")) {
        // The message's own content type, as daprd sends it (the publish wrapped it in a
        // CloudEvent).
        if (raw_envelope["topic"] == "bulk-raw") {
          return raw_entry["event"].is_string() &&
                 raw_entry["contentType"] == "application/cloudevents+json";
        }
      }
      return false;
    }));
  }

  SECTION("404 drops every entry of the delivery") {
    REQUIRE(Eventually([&] {
      Publish(host.dapr(), "bulk-gone", R"({"g":1})");
      return !RequestsTo(setup.record, "POST", "/bulk-gone").empty();
    }));
    auto first = BulkEntries(setup.record, "/bulk-gone");
    REQUIRE(Publish(host.dapr(), "bulk-gone", R"({"g":2})").ok());
    REQUIRE(Eventually([&] {
      for (auto& [gone_envelope, gone_entry] : BulkEntries(setup.record, "/bulk-gone")) {
        if (gone_entry["event"]["data"] == json{{"g", 2}}) return true;
      }
      return false;
    }));
    // None of the entries answered 404 came back.
    for (auto& [old_envelope, old_entry] : first) {
      size_t seen = 0;
      for (auto& [gone_envelope, gone_entry] : BulkEntries(setup.record, "/bulk-gone")) {
        if (gone_entry["event"]["id"] == old_entry["event"]["id"]) ++seen;
      }
      CHECK(seen == 1);
    }
  }
}

TEST_CASE("HTTP app: configuration updates arrive as POST /configuration/<store>/<key>") {
  HttpAppSetup setup;
  std::string items = setup.dir.File("items.json");
  WriteFile(items, R"({"color":"red","size":"1"})");
  json config = {{"app_id", "http-app"},
                 {"components",
                  {{{"name", "config"},
                    {"type", "configuration.in-memory"},
                    {"metadata", {{"file", items}}}}}}};
  WriteFile(setup.dir.File("config.json"), config.dump(2));
  int http_port = FreeTcpPort();
  RunningHost host(setup.dir, setup.dir.path(),
                   {"--config", setup.dir.File("config.json"), "--app-protocol", "http",
                    "--app-address", "127.0.0.1:" + std::to_string(setup.app_port),
                    "--http-address", "127.0.0.1:" + std::to_string(http_port)});
  REQUIRE(host.started());
  REQUIRE(Eventually([&] { return HttpCall(http_port, "GET", "/v1.0/healthz").status == 204; }));

  auto subscribed = HttpCall(http_port, "GET", "/v1.0/configuration/config/subscribe?key=color");
  REQUIRE(subscribed.status == 200);
  std::string id = json::parse(subscribed.body)["id"].get<std::string>();
  CHECK_FALSE(id.empty());
  // The alpha1 form is served too.
  auto alpha = HttpCall(http_port, "GET", "/v1.0-alpha1/configuration/config/subscribe");
  REQUIRE(alpha.status == 200);

  WriteFile(items, R"({"color":"green","size":"1"})");
  REQUIRE(Eventually(
      [&] { return !RequestsTo(setup.record, "POST", "/configuration/config/color").empty(); }));
  auto update = RequestsTo(setup.record, "POST", "/configuration/config/color").front();
  CHECK(update["headers"]["content-type"] == "application/json");
  auto body = json::parse(update["body"].get<std::string>());
  CHECK((body["id"] == id || body["id"] == json::parse(alpha.body)["id"]));
  CHECK(body["items"]["color"]["value"] == "green");
  CHECK_FALSE(body["items"]["color"]["version"].get<std::string>().empty());

  // Unsubscribed: the next change of color goes only to the alpha1 subscription (every key).
  auto done = HttpCall(http_port, "GET", "/v1.0/configuration/config/" + id + "/unsubscribe");
  CHECK(done.status == 200);
  WriteFile(items, R"({"color":"blue!","size":"22"})");
  REQUIRE(Eventually(
      [&] { return !RequestsTo(setup.record, "POST", "/configuration/config/size").empty(); }));
  REQUIRE(Eventually([&] {
    for (auto& entry : RequestsTo(setup.record, "POST", "/configuration/config/color")) {
      if (json::parse(entry["body"].get<std::string>())["items"]["color"]["value"] == "blue!") {
        return true;
      }
    }
    return false;
  }));
  size_t blue = 0;
  for (auto& entry : RequestsTo(setup.record, "POST", "/configuration/config/color")) {
    auto parsed = json::parse(entry["body"].get<std::string>());
    if (parsed["items"]["color"]["value"] == "blue!") {
      ++blue;
      CHECK(parsed["id"] == json::parse(alpha.body)["id"]);
    }
  }
  CHECK(blue == 1);
}

TEST_CASE("HTTP app: input bindings are probed with OPTIONS and delivered as POST") {
  HttpAppSetup setup;
  RunningHost host(setup.dir, setup.dir.path(),
                   {"--config", setup.WriteConfig(), "--app-protocol", "http", "--app-address",
                    "127.0.0.1:" + std::to_string(setup.app_port)});
  REQUIRE(host.started());

  REQUIRE(Eventually([&] { return RequestsTo(setup.record, "POST", "/ticker").size() >= 2; }));
  CHECK_FALSE(RequestsTo(setup.record, "OPTIONS", "/ticker").empty());
  CHECK_FALSE(RequestsTo(setup.record, "OPTIONS", "/unlisted").empty());
  CHECK(RequestsTo(setup.record, "POST", "/unlisted").empty());  // the app answered 404
  auto tick = RequestsTo(setup.record, "POST", "/ticker").front();
  CHECK(tick["headers"]["content-type"] == "application/json");
}

TEST_CASE("HTTP app: with app health checks, deliveries wait for a healthy app and pause") {
  HttpAppSetup setup;
  std::string unhealthy = setup.record + ".unhealthy";
  WriteFile(unhealthy, "");  // the app starts unhealthy
  ::setenv("APP_API_TOKEN", "app-secret", 1);
  RunningHost host(setup.dir, setup.dir.path(),
                   {"--config", setup.WriteConfig(), "--app-protocol", "http", "--app-address",
                    "127.0.0.1:" + std::to_string(setup.app_port), "--enable-app-health-check",
                    "--app-health-probe-interval", "1", "--app-health-probe-timeout", "500",
                    "--app-health-threshold", "1"});
  ::unsetenv("APP_API_TOKEN");
  REQUIRE(host.started());
  auto probes = [&] { return RequestsTo(setup.record, "GET", "/healthz").size(); };
  // Two probes answered 503: nothing was listed or delivered meanwhile.
  REQUIRE(Eventually([&] { return probes() >= 2; }));
  CHECK(RequestsTo(setup.record, "GET", "/healthz").front()["headers"].count("dapr-api-token") ==
        0);  // daprd's probe carries no token
  CHECK(RequestsTo(setup.record, "GET", "/dapr/subscribe").empty());
  CHECK(RequestsTo(setup.record, "POST", "/ticker").empty());

  // Healthy: the subscriptions and input bindings start.
  std::remove(unhealthy.c_str());
  REQUIRE(Eventually([&] { return !RequestsTo(setup.record, "POST", "/ticker").empty(); }));
  REQUIRE(Eventually([&] {
    Publish(host.dapr(), "orders", R"({"phase":"healthy"})");
    return !RequestsTo(setup.record, "POST", "/orders").empty();
  }));

  // Unhealthy again (threshold 1): once a probe after the change has run, nothing more arrives.
  WriteFile(unhealthy, "");
  REQUIRE(Eventually(
      [&] { return host.Log().find("app entered unhealthy status") != std::string::npos; }));
  size_t after_change = probes();
  REQUIRE(Eventually([&] { return probes() >= after_change + 1; }));
  size_t ticks = RequestsTo(setup.record, "POST", "/ticker").size();
  size_t orders = RequestsTo(setup.record, "POST", "/orders").size();
  REQUIRE(Publish(host.dapr(), "orders", R"({"phase":"unhealthy"})").ok());
  size_t later = probes();
  REQUIRE(Eventually([&] { return probes() >= later + 2; }));  // over a second later
  CHECK(RequestsTo(setup.record, "POST", "/ticker").size() == ticks);
  CHECK(RequestsTo(setup.record, "POST", "/orders").size() == orders);

  // Healthy again: the deliveries start afresh.
  std::remove(unhealthy.c_str());
  REQUIRE(Eventually([&] { return RequestsTo(setup.record, "POST", "/ticker").size() > ticks; }));
  REQUIRE(Eventually([&] {
    Publish(host.dapr(), "orders", R"({"phase":"healthy again"})");
    for (auto& entry : RequestsTo(setup.record, "POST", "/orders")) {
      auto body = json::parse(entry["body"].get<std::string>());
      if (body["data"]["phase"] == "healthy again") return true;
    }
    return false;
  }));
}

TEST_CASE("HTTP app: APP_API_TOKEN goes to the app as dapr-api-token") {
  HttpAppSetup setup;
  ::setenv("APP_API_TOKEN", "app-secret", 1);
  RunningHost host(setup.dir, setup.dir.path(),
                   {"--config", setup.WriteConfig(), "--app-protocol", "http", "--app-address",
                    "127.0.0.1:" + std::to_string(setup.app_port)});
  ::unsetenv("APP_API_TOKEN");
  REQUIRE(host.started());
  REQUIRE(Eventually([&] { return !RequestsTo(setup.record, "GET", "/dapr/subscribe").empty(); }));
  REQUIRE(Eventually([&] { return !RequestsTo(setup.record, "POST", "/ticker").empty(); }));
  CHECK(RequestsTo(setup.record, "GET", "/dapr/subscribe").front()["headers"]["dapr-api-token"] ==
        "app-secret");
  CHECK(RequestsTo(setup.record, "POST", "/ticker").front()["headers"]["dapr-api-token"] ==
        "app-secret");
}

}  // namespace
}  // namespace plughost::testing
