// Dapr's Redis connection metadata as components/redis parses it.
#include "components/redis/settings.h"

#include <catch2/catch.hpp>

namespace plughost::redis {

TEST_CASE("durations are Go durations or bare milliseconds", "[redis]") {
  CHECK(ParseDuration("1500") == std::chrono::milliseconds(1500));
  CHECK(ParseDuration("5s") == std::chrono::milliseconds(5000));
  CHECK(ParseDuration("1m30s") == std::chrono::milliseconds(90000));
  CHECK(ParseDuration("250ms") == std::chrono::milliseconds(250));
  CHECK(ParseDuration("1.5s") == std::chrono::milliseconds(1500));
  CHECK_FALSE(ParseDuration("soon").has_value());
  CHECK_FALSE(ParseDuration("5 s").has_value());
  CHECK_FALSE(ParseDuration("").has_value());
}

TEST_CASE("redisHost, redisPort, redisDB and friends", "[redis]") {
  auto settings = ParseRedisSettings({{"redisHost", "cache:6380"},
                                      {"redisPassword", "pw"},
                                      {"redisUsername", "app"},
                                      {"redisDB", "2"},
                                      {"dialTimeout", "2s"}});
  REQUIRE(settings.ok());
  CHECK(settings->host == "cache");
  CHECK(settings->port == 6380);
  CHECK(settings->password == "pw");
  CHECK(settings->username == "app");
  CHECK(settings->db == 2);
  CHECK(settings->dial_timeout == std::chrono::milliseconds(2000));

  auto port = ParseRedisSettings({{"redisHost", "cache"}, {"redisPort", "7000"}});
  REQUIRE(port.ok());
  CHECK(port->port == 7000);
  // Metadata names are matched without regard to case, as Dapr's decoder does.
  CHECK(ParseRedisSettings({{"redishost", "h"}}).ok());

  CHECK(ParseRedisSettings({}).status().message() == "metadata property redisHost is empty");
  CHECK_THAT(std::string(
                 ParseRedisSettings({{"redisHost", "h:1"}, {"redisPort", "2"}}).status().message()),
             Catch::Contains("already contains port 1, but redisPort is set to 2"));
  CHECK_FALSE(ParseRedisSettings({{"redisHost", "h"}, {"redisDB", "x"}}).ok());
  CHECK_FALSE(ParseRedisSettings({{"redisHost", "h"}, {"redisType", "cluster"}}).ok());
  CHECK_FALSE(ParseRedisSettings({{"redisHost", "h"}, {"enableTLS", "true"}}).ok());
}

}  // namespace plughost::redis
