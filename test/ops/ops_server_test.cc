// The operator endpoints over real HTTP: what /readyz shows to anyone who reaches the port.
// A component's error text can carry anything (its password, a forged line, a megabyte), so the
// default body names only the condition; ?verbose shows the reason, masked, escaped and bounded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "host/ops/ops_server.h"
#include "host/ops/readiness.h"
#include "host/registry/instance_table.h"
#include "test/support/http_get.h"

namespace plughost {
namespace {

using testing::HttpGet;

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

InstanceInfo StateInstance(std::string name, std::map<std::string, std::string> metadata) {
  InstanceInfo info;
  info.name = std::move(name);
  info.type = "state.redis";
  info.kind = ComponentKind::kState;
  info.source = "socket /run/secret-folder/redis.sock";
  info.metadata = metadata;
  info.init_spec.metadata = std::move(metadata);
  info.socket_path = "/run/secret-folder/redis.sock";
  info.configured = true;
  return info;
}

const std::string kPassword = "hunter2-correct-horse";

struct Fixture {
  Fixture() {
    auto broken = StateInstance("orders", {{"redisPassword", kPassword}, {"enableTLS", "true"}});
    broken.health->MarkUnavailable("Init failed: AUTH " + kPassword +
                                   " rejected\nready\n\x1b[2J<script>" + std::string(5000, 'A'));
    REQUIRE(instances.Add(std::move(broken)).ok());
    auto fine = StateInstance("cache", {});
    REQUIRE(instances.Add(std::move(fine)).ok());
    OpsServer::Sources sources;
    sources.instances = &instances;
    sources.metrics = &metrics;
    auto started = OpsServer::Start("127.0.0.1:0", std::move(sources));
    REQUIRE(started.ok());
    server = std::move(*started);
    port = PortOf(server->address());
  }
  InstanceTable instances;
  Metrics metrics;
  std::unique_ptr<OpsServer> server;
  int port = 0;
};

size_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

TEST_CASE("/readyz names what is not ready without repeating a component's text") {
  Fixture fixture;
  auto ready = HttpGet(fixture.port, "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body == "not ready:\nstate orders (state.redis): unavailable\n");
  CHECK(HttpGet(fixture.port, "/healthz").status == 200);
}

TEST_CASE("/readyz?verbose shows the reason masked, escaped and bounded") {
  Fixture fixture;
  auto ready = HttpGet(fixture.port, "/readyz?verbose");
  REQUIRE(ready.status == 503);
  INFO(ready.body);
  CHECK_THAT(ready.body,
             Catch::StartsWith("not ready:\nstate orders (state.redis): unavailable: Init failed: "
                               "AUTH *** rejected\\nready\\n\\x1b[2J<script>AAA"));
  CHECK_THAT(ready.body, !Catch::Contains(kPassword));
  CHECK_THAT(ready.body, !Catch::Contains("\x1b"));
  CHECK(Lines(ready.body) == 2);  // the header and one line: no forged "ready" line
  CHECK(ready.body.size() < 100 + kMaxReasonBytes + 3 * 10);
  CHECK_THAT(ready.body, !Catch::Contains("secret-folder"));  // path not in this reason
  // Short values ("true") are not masked: they are no secrets and would blank the text.
  CHECK_THAT(ready.body, Catch::Contains("failed"));
  CHECK(HttpGet(fixture.port, "/readyz?x=1&verbose=1").body == ready.body);
}

TEST_CASE("/readyz lists a bounded number of problems") {
  InstanceTable instances;
  for (size_t i = 0; i < kMaxReadinessLines + 5; ++i) {
    auto info = StateInstance("store" + std::to_string(i), {});
    info.health->MarkUnavailable("down");
    REQUIRE(instances.Add(std::move(info)).ok());
  }
  auto readiness = RenderReadiness(instances, "process redis: failed (exit 1)\n", false);
  CHECK_FALSE(readiness.ready);
  CHECK(Lines(readiness.body) == 1 + kMaxReadinessLines + 1);
  CHECK_THAT(readiness.body, Catch::Contains("process redis: failed (exit 1)\n"));
  CHECK_THAT(readiness.body, Catch::EndsWith("... and 6 more\n"));
}

TEST_CASE("/readyz is ready when every instance is") {
  InstanceTable instances;
  REQUIRE(instances.Add(StateInstance("cache", {})).ok());
  auto readiness = RenderReadiness(instances, "", true);
  CHECK(readiness.ready);
  CHECK(readiness.body == "ready\n");
}

}  // namespace
}  // namespace plughost
