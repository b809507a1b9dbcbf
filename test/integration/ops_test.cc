// The operator endpoints of a real host: liveness, readiness that follows component health,
// and Prometheus metrics counting calls per method and component.
#include <catch2/catch.hpp>
#include <signal.h>

#include <thread>

#include "test/support/http_get.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {
namespace rt = ::dapr::proto::runtime::v1;
constexpr std::chrono::milliseconds kWait{10000};  // how long these checks poll
}  // namespace

TEST_CASE("healthz, readyz and metrics reflect the host and its components", "[integration][ops]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "watched");
  REQUIRE(sample);
  int ops_port = FreeTcpPort();
  RunningHost host(
      dir, dir.path(),
      {"--ops-address", "127.0.0.1:" + std::to_string(ops_port), "--ping-interval", "200"});
  REQUIRE(host.started());
  REQUIRE(WaitForPort(ops_port, std::chrono::seconds(5)));

  auto health = HttpGet(ops_port, "/healthz");
  CHECK(health.status == 200);
  CHECK(HttpGet(ops_port, "/readyz").status == 200);
  CHECK(HttpGet(ops_port, "/nope").status == 404);

  for (std::string store : {"statestore", "watched", "statestore"}) {
    rt::GetStateRequest request;
    request.set_store_name(store);
    request.set_key("k");
    rt::GetStateResponse response;
    REQUIRE(host.dapr().GetState(Deadline().get(), request, &response).ok());
  }
  rt::GetStateRequest unknown;
  unknown.set_store_name("nosuchstore");
  unknown.set_key("k");
  rt::GetStateResponse response;
  CHECK_FALSE(host.dapr().GetState(Deadline().get(), unknown, &response).ok());

  auto metrics = HttpGet(ops_port, "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK_THAT(
      metrics.body,
      Catch::Contains(
          R"(plughost_api_calls_total{method="Dapr/GetState",component="statestore",code="OK"} 2)"));
  CHECK_THAT(
      metrics.body,
      Catch::Contains(
          R"(plughost_api_calls_total{method="Dapr/GetState",component="watched",code="OK"} 1)"));
  // A name no instance has is not kept as its own series.
  CHECK_THAT(
      metrics.body,
      Catch::Contains(
          R"x(plughost_api_calls_total{method="Dapr/GetState",component="(unknown)",code="INVALID_ARGUMENT"} 1)x"));
  CHECK_THAT(metrics.body,
             Catch::Contains(
                 R"x(plughost_api_errors_total{method="Dapr/GetState",component="(unknown)"} 1)x"));
  CHECK_THAT(metrics.body, !Catch::Contains("nosuchstore"));
  CHECK_THAT(
      metrics.body,
      Catch::Contains(
          R"(plughost_api_call_duration_seconds_count{method="Dapr/GetState",component="statestore"} 2)"));
  CHECK_THAT(metrics.body,
             Catch::Contains(
                 R"(plughost_component_up{name="watched",type="state.watched",kind="state"} 1)"));
  CHECK_THAT(metrics.body, Catch::Contains(R"(plughost_discovery_sockets{result="registered"} 1)"));

  // The component dies: readiness and the up gauge follow.
  sample->Signal(SIGKILL);
  REQUIRE(sample->WaitExit(std::chrono::seconds(5)).has_value());
  CHECK(Eventually([&] { return HttpGet(ops_port, "/readyz").status == 503; }, kWait));
  CHECK_THAT(HttpGet(ops_port, "/readyz").body, Catch::Contains("watched"));
  CHECK_THAT(HttpGet(ops_port, "/metrics").body,
             Catch::Contains(
                 R"(plughost_component_up{name="watched",type="state.watched",kind="state"} 0)"));
  CHECK(HttpGet(ops_port, "/healthz").status == 200);

  // It comes back: ready again, and the recovery is counted.
  auto restarted = StartSampleComponent(dir, "watched");
  REQUIRE(restarted);
  CHECK(Eventually([&] { return HttpGet(ops_port, "/readyz").status == 200; }, kWait));
  auto after = HttpGet(ops_port, "/metrics").body;
  CHECK_THAT(
      after,
      Catch::Contains(
          R"(plughost_component_recoveries_total{name="watched",type="state.watched",kind="state"} 1)"));
  // The socket backs one instance per kind the sample serves; each was brought back.
  auto total_at = after.find("\nplughost_recoveries_total ");
  REQUIRE(total_at != std::string::npos);
  CHECK(std::stoi(after.substr(total_at + 27)) >= 2);
}

TEST_CASE("an explicit ops address that cannot be bound stops startup", "[integration][ops]") {
  TempDir dir;
  RunningHost first(dir, dir.path());
  REQUIRE(first.started());
  // The first host's API port is taken; asking for it as the ops address must fail loudly.
  auto second = ChildProcess::Spawn({RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(),
                                     "--grpc-address", "127.0.0.1:" + std::to_string(FreeTcpPort()),
                                     "--ops-address", "127.0.0.1:" + std::to_string(first.port())},
                                    dir.File("second.log"));
  auto code = second->WaitExit(std::chrono::seconds(10));
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK_THAT(second->Log(), Catch::Contains("--ops-address"));
}

}  // namespace plughost::testing
