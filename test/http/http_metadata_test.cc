// GET /v1.0/metadata and gRPC GetMetadata from real hosts started with different app flags:
// appConnectionProperties, actorRuntime and the fields daprd leaves out, in daprd's HTTP shape
// and in protobuf's JSON mapping of the gRPC answer (what SDKs print).
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test/http/http_host.h"

namespace plughost::testing {
namespace {

using json = nlohmann::json;
namespace rt = ::dapr::proto::runtime::v1;

struct Metadata {
  json http;
  json grpc;
  rt::GetMetadataResponse message;
};

// Both answers of a started host; empty objects (and a failed check) when either call fails.
Metadata Fetch(HttpHost& env) {
  Metadata out;
  auto http = env.Call("GET", "/v1.0/metadata");
  CHECK(http.status == 200);
  out.http = json::parse(http.body, nullptr, false);
  auto status =
      env.host->dapr().GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &out.message);
  CHECK(status.ok());
  std::string text;
  CHECK(google::protobuf::util::MessageToJsonString(out.message, &text).ok());
  out.grpc = json::parse(text, nullptr, false);
  return out;
}

// What every host reports, app or none: no actors, no scheduler, no workflow workers, no
// HTTP endpoints, MCP servers or policies.
void CheckWithoutActorsOrWorkflows(const Metadata& m) {
  CHECK(m.http["actorRuntime"] == json({{"runtimeStatus", "DISABLED"},
                                        {"hostReady", false},
                                        {"placement", "placement: disconnected"}}));
  CHECK(m.grpc["actorRuntime"] ==
        json({{"runtimeStatus", "DISABLED"}, {"placement", "placement: disconnected"}}));
  CHECK(m.message.actor_runtime().runtime_status() == rt::ActorRuntime::DISABLED);
  // daprd always sends its workflow engine's count (an empty message when zero) and leaves
  // it out of the HTTP answer then.
  CHECK(m.message.has_workflows());
  CHECK(m.grpc["workflows"] == json::object());
  CHECK_FALSE(m.message.has_scheduler());
  for (const char* absent : {"workflows", "scheduler", "httpEndpoints", "actors", "mcpServers",
                             "workflowAccessPolicies", "resiliencies"}) {
    INFO(absent);
    CHECK_FALSE(m.http.contains(absent));
  }
  for (const char* absent : {"scheduler", "httpEndpoints", "actors", "mcpServers"}) {
    INFO(absent);
    CHECK_FALSE(m.grpc.contains(absent));
  }
}

TEST_CASE("without an app: protocol and channel address only, no port, no health", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);
  auto m = Fetch(env);
  json expected = {{"protocol", "grpc"}, {"channelAddress", "127.0.0.1"}};
  CHECK(m.http["appConnectionProperties"] == expected);
  CHECK(m.grpc["appConnectionProperties"] == expected);
  CHECK(m.http["id"] == "http-app");
  CheckWithoutActorsOrWorkflows(m);
}

TEST_CASE("without an app but with health checks on: the health settings, as daprd", "[http]") {
  HttpHost env({"--enable-app-health-check", "--app-protocol", "http"});
  INFO(env.host->Log());
  REQUIRE(env.ready);
  auto m = Fetch(env);
  json expected = {{"protocol", "http"},
                   {"channelAddress", "127.0.0.1"},
                   {"health",
                    {{"healthCheckPath", "/healthz"},
                     {"healthProbeInterval", "5s"},
                     {"healthProbeTimeout", "500ms"},
                     {"healthThreshold", 3}}}};
  CHECK(m.http["appConnectionProperties"] == expected);
  CHECK(m.grpc["appConnectionProperties"] == expected);
}

TEST_CASE("an HTTP app with health checks: port, path and probe settings as Go durations",
          "[http]") {
  int app_port = FreeTcpPort();  // nothing listens: the app stays unhealthy, deliveries paused
  HttpHost env({"--app-port", std::to_string(app_port), "--app-protocol", "http",
                "--enable-app-health-check", "--app-health-check-path", "/ready",
                "--app-health-probe-interval", "90", "--app-health-probe-timeout", "1500",
                "--app-health-threshold", "4"});
  INFO(env.host->Log());
  REQUIRE(env.ready);
  auto m = Fetch(env);
  json expected = {{"port", app_port},
                   {"protocol", "http"},
                   {"channelAddress", "127.0.0.1"},
                   {"health",
                    {{"healthCheckPath", "/ready"},
                     {"healthProbeInterval", "1m30s"},
                     {"healthProbeTimeout", "1.5s"},
                     {"healthThreshold", 4}}}};
  CHECK(m.http["appConnectionProperties"] == expected);
  CHECK(m.grpc["appConnectionProperties"] == expected);
  CheckWithoutActorsOrWorkflows(m);
}

TEST_CASE("a gRPC app: no health check path; health left out when checks are off", "[http]") {
  int app_port = FreeTcpPort();
  SECTION("health checks on, daprd's defaults") {
    HttpHost env(
        {"--app-address", "127.0.0.1:" + std::to_string(app_port), "--enable-app-health-check"});
    INFO(env.host->Log());
    REQUIRE(env.ready);
    auto m = Fetch(env);
    json expected = {
        {"port", app_port},
        {"protocol", "grpc"},
        {"channelAddress", "127.0.0.1"},
        {"health",
         {{"healthProbeInterval", "5s"}, {"healthProbeTimeout", "500ms"}, {"healthThreshold", 3}}}};
    CHECK(m.http["appConnectionProperties"] == expected);
    CHECK(m.grpc["appConnectionProperties"] == expected);
    CheckWithoutActorsOrWorkflows(m);
  }
  SECTION("health checks off, the health flags ignored") {
    HttpHost env({"--app-port", std::to_string(app_port), "--app-protocol", "grpc",
                  "--app-health-probe-interval", "9"});
    INFO(env.host->Log());
    REQUIRE(env.ready);
    auto m = Fetch(env);
    json expected = {{"port", app_port}, {"protocol", "grpc"}, {"channelAddress", "127.0.0.1"}};
    CHECK(m.http["appConnectionProperties"] == expected);
    CHECK(m.grpc["appConnectionProperties"] == expected);
  }
  SECTION("an app on a Unix socket: the address whole, no port") {
    HttpHost env({"--app-address", "unix:/nonexistent/app.sock", "--enable-app-health-check"});
    INFO(env.host->Log());
    REQUIRE(env.ready);
    auto m = Fetch(env);
    CHECK(m.http["appConnectionProperties"]["channelAddress"] == "unix:/nonexistent/app.sock");
    CHECK_FALSE(m.http["appConnectionProperties"].contains("port"));
    CHECK_FALSE(m.grpc["appConnectionProperties"].contains("port"));
  }
}

TEST_CASE("the Resiliency documents applied are listed by name, as daprd does", "[http]") {
  TempDir resources;
  WriteFile(resources.File("resiliency.yaml"), R"(apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: patient
spec:
  policies:
    retries:
      three:
        policy: constant
        duration: 10ms
        maxRetries: 3
  targets:
    components:
      statestore:
        outbound:
          retry: three
)");
  HttpHost env({"--resources-path", resources.path()});
  INFO(env.host->Log());
  REQUIRE(env.ready);
  auto m = Fetch(env);
  json expected = json::array({{{"name", "patient"}}});
  CHECK(m.http["resiliencies"] == expected);
  CHECK(m.grpc["resiliencies"] == expected);
}

}  // namespace
}  // namespace plughost::testing
