// The app connection GetMetadata reports, with daprd's rules for what is left out.
#include "host/api/app_connection_properties.h"

#include <catch2/catch.hpp>
#include <chrono>

namespace plughost {
namespace {

TEST_CASE("without an app: protocol and daprd's default channel address, no port, no health") {
  AppConnectionSettings settings;
  auto properties = AppConnectionPropertiesFor(settings);
  CHECK(properties.port() == 0);
  CHECK(properties.protocol() == "grpc");
  CHECK(properties.channel_address() == "127.0.0.1");
  CHECK(properties.max_concurrency() == 0);
  CHECK_FALSE(properties.has_health());
}

TEST_CASE("a host:port app address gives the channel address and the port") {
  AppConnectionSettings settings;
  settings.app_address = "127.0.0.1:6001";
  auto properties = AppConnectionPropertiesFor(settings);
  CHECK(properties.channel_address() == "127.0.0.1");
  CHECK(properties.port() == 6001);

  settings.app_address = "app.local:80";
  properties = AppConnectionPropertiesFor(settings);
  CHECK(properties.channel_address() == "app.local");
  CHECK(properties.port() == 80);

  settings.app_address = "[::1]:7000";
  properties = AppConnectionPropertiesFor(settings);
  CHECK(properties.channel_address() == "::1");
  CHECK(properties.port() == 7000);
}

TEST_CASE("an address that is not host:port is reported whole, without a port") {
  AppConnectionSettings settings;
  for (const char* address : {"unix:/run/app.sock", "unix:/run/app:1", "app.local", "app:http",
                              "app:0", "app:65536", "::1"}) {
    settings.app_address = address;
    auto properties = AppConnectionPropertiesFor(settings);
    INFO(address);
    CHECK(properties.channel_address() == address);
    CHECK(properties.port() == 0);
  }
}

TEST_CASE("health checks on: Go durations and the threshold; the path for HTTP apps only") {
  AppConnectionSettings settings;
  settings.app_address = "127.0.0.1:6001";
  settings.health_check = true;
  settings.health_check_path = "/ready";
  settings.health.interval = std::chrono::seconds(90);
  settings.health.timeout = std::chrono::milliseconds(1500);
  settings.health.threshold = 7;

  settings.protocol = "http";
  auto http = AppConnectionPropertiesFor(settings);
  REQUIRE(http.has_health());
  CHECK(http.protocol() == "http");
  CHECK(http.health().health_check_path() == "/ready");
  CHECK(http.health().health_probe_interval() == "1m30s");
  CHECK(http.health().health_probe_timeout() == "1.5s");
  CHECK(http.health().health_threshold() == 7);

  settings.protocol = "grpc";
  auto grpc = AppConnectionPropertiesFor(settings);
  REQUIRE(grpc.has_health());
  CHECK(grpc.health().health_check_path().empty());
  CHECK(grpc.health().health_probe_interval() == "1m30s");

  // The defaults, as daprd writes them.
  AppConnectionSettings defaults;
  defaults.health_check = true;
  auto properties = AppConnectionPropertiesFor(defaults);
  CHECK(properties.health().health_probe_interval() == "5s");
  CHECK(properties.health().health_probe_timeout() == "500ms");
  CHECK(properties.health().health_threshold() == 3);
}

TEST_CASE("health checks off: no health, whatever the other health settings say") {
  AppConnectionSettings settings;
  settings.app_address = "127.0.0.1:6001";
  settings.protocol = "http";
  settings.health_check_path = "/ready";
  CHECK_FALSE(AppConnectionPropertiesFor(settings).has_health());
}

TEST_CASE("a concurrency limit is reported only when there is one") {
  AppConnectionSettings settings;
  settings.max_concurrency = 4;
  CHECK(AppConnectionPropertiesFor(settings).max_concurrency() == 4);
  settings.max_concurrency = 0;
  CHECK(AppConnectionPropertiesFor(settings).max_concurrency() == 0);
}

}  // namespace
}  // namespace plughost
