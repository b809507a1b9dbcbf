// Outbound Resiliency policies through the real host: a pluggable state store (the C++ sample)
// that fails its first Gets of a key transiently serves the app's GetState when the
// component's outbound retry policy covers it, and fails it without one; a circuit breaker
// that opened fails the next call without reaching the component.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <string>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;

constexpr char kResources[] = R"(apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: retried}
spec: {type: state.cpp-sample, version: v1}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: plain}
spec: {type: state.cpp-sample, version: v1}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: guarded}
spec: {type: state.cpp-sample, version: v1}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: patient}
spec: {type: state.cpp-sample, version: v1}
---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: outbound}
spec:
  policies:
    timeouts:
      short: 500ms
    retries:
      quick: {policy: constant, duration: 50ms, maxRetries: 3}
      slow: {policy: constant, duration: 1h, maxRetries: 3}
    circuitBreakers:
      twice: {trip: consecutiveFailures >= 2, timeout: 60s}
  targets:
    components:
      retried:
        outbound: {timeout: short, retry: quick}
      guarded:
        outbound: {circuitBreaker: twice}
      patient:
        outbound: {retry: slow}
)";

grpc::Status GetState(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetStateResponse response;
  return dapr.GetState(Deadline().get(), request, &response);
}

TEST_CASE(
    "an outbound retry policy carries the app's call over a component's transient "
    "failures; without one the call fails",
    "[integration][resiliency]") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0750);
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  std::string resources = dir.File("resources");
  ::mkdir(resources.c_str(), 0750);
  WriteFile(resources + "/resources.yaml", kResources);
  RunningHost host(dir, dir.path(), {"--resources-path", resources});
  INFO(host.Log());
  REQUIRE(host.started());

  // The first two Gets of the key fail in the component; the policy's third attempt answers.
  grpc::Status retried = GetState(host.dapr(), "retried", "k__flaky__");
  CHECK(retried.ok());
  CHECK_THAT(host.Log(), Catch::Contains("component 'retried': state get failed (flaky store: "
                                         "try again); retrying in 50 ms"));

  // The same store without a policy: the app sees the component's failure.
  grpc::Status plain = GetState(host.dapr(), "plain", "k__flaky__");
  CHECK_FALSE(plain.ok());
  CHECK_THAT(plain.error_message(), Catch::Contains("flaky store: try again"));

  // Two failures open the breaker; the third call fails at once, the component untouched
  // (its own third Get of the key would have answered).
  CHECK_FALSE(GetState(host.dapr(), "guarded", "k__flaky__").ok());
  CHECK_FALSE(GetState(host.dapr(), "guarded", "k__flaky__").ok());
  grpc::Status refused = GetState(host.dapr(), "guarded", "k__flaky__");
  CHECK_FALSE(refused.ok());
  CHECK_THAT(refused.error_message(),
             Catch::Contains("circuit breaker 'twice' of component 'guarded' is open"));
  CHECK_THAT(host.Log(), Catch::Contains("outbound circuit breaker 'twice' is now open"));

  // The policy's timeout (500 ms) ends a hung attempt long before the app's deadline (10 s), and
  // the attempt is retried.
  grpc::Status hung = GetState(host.dapr(), "retried", "k__hang__");
  CHECK_FALSE(hung.ok());
  CHECK_THAT(host.Log(), Catch::Contains("component 'retried': state get failed (Deadline "
                                         "Exceeded); retrying in 50 ms"));

  // A wait that would outlast the app's deadline is not started: the app gets the
  // component's error, not its own deadline.
  grpc::Status impatient = GetState(host.dapr(), "patient", "k__flaky__");
  CHECK(impatient.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK_THAT(impatient.error_message(), Catch::Contains("flaky store: try again"));
}

TEST_CASE("a component whose socket appears after start-up runs under its outbound policy",
          "[integration][resiliency]") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0750);
  std::string resources = dir.File("resources");
  ::mkdir(resources.c_str(), 0750);
  WriteFile(resources + "/res.yaml", R"(apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: outbound}
spec:
  policies:
    retries:
      quick: {policy: constant, duration: 50ms, maxRetries: 3}
  targets:
    components:
      late:
        outbound: {retry: quick}
)");
  RunningHost host(dir, dir.path(), {"--resources-path", resources});
  INFO(host.Log());
  REQUIRE(host.started());
  auto sample = StartSampleComponent(dir, "late");
  REQUIRE(sample);
  // The automatic instance "late" appears once the supervisor has probed the new socket.
  REQUIRE(Eventually([&] { return GetState(host.dapr(), "late", "k").ok(); }));
  CHECK(GetState(host.dapr(), "late", "k__flaky__").ok());
  CHECK_THAT(host.Log(), Catch::Contains("component 'late': state get failed"));
}

TEST_CASE("a Resiliency target naming an unknown policy stops startup with exit 2",
          "[integration][resiliency]") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0750);
  std::string resources = dir.File("resources");
  ::mkdir(resources.c_str(), 0750);
  WriteFile(resources + "/res.yaml", R"(apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: outbound}
spec:
  policies:
    retries:
      quick: {policy: constant, duration: 50ms}
  targets:
    components:
      statestore:
        outbound: {retry: slow}
)");
  auto run = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(), "--grpc-address", "127.0.0.1:0",
       "--ops-address", "off", "--resources-path", resources},
      dir.File("host.log"));
  auto code = run->WaitExit(std::chrono::seconds(30));
  REQUIRE(code.has_value());
  CHECK(*code == 2);
  CHECK_THAT(run->Log(),
             Catch::Contains(resources + "/res.yaml: document 0: "
                                         "spec.targets.components.statestore.outbound.retry: "
                                         "names no policy of spec.policies.retries (\"slow\")"));
}

}  // namespace
}  // namespace plughost::testing
