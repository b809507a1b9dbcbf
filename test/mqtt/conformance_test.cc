// plughost-mqtt under `plughost conformance`, kind by kind, against a real mosquitto the test
// starts.
#include <catch2/catch.hpp>

#include <sstream>

#include "test/mqtt/mosquitto_broker.h"

namespace plughost::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> Failures(const std::string& output) {
  std::vector<std::string> failures;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("FAIL ", 0) == 0) failures.push_back(line);
  }
  return failures;
}

struct Fixture {
  TempDir dir;
  MosquittoBroker broker{dir};
  std::unique_ptr<ChildProcess> component;

  Fixture() {
    REQUIRE(broker.started());
    component = ChildProcess::Spawn(
        {RequiredEnv("MQTT_COMPONENT_BIN"), "--sockets-dir", dir.path()}, dir.File("mqtt.log"));
  }

  std::string Kit(const std::string& kind, std::vector<std::string> extra = {}) {
    REQUIRE(WaitForSocket(dir.File("mqtt-" + kind + ".sock"), 10s));
    std::vector<std::string> argv = {
        RequiredEnv("PLUGHOST_BIN"),        "conformance", "--socket",
        dir.File("mqtt-" + kind + ".sock"), "--metadata",  "url=" + broker.url()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto kit = ChildProcess::Spawn(argv, dir.File("kit-" + kind + ".log"));
    REQUIRE(kit->WaitExit(120s).has_value());
    return kit->Log();
  }
};

}  // namespace

TEST_CASE("mqtt pubsub passes conformance", "[mqtt]") {
  Fixture fixture;
  std::string output = fixture.Kit("pubsub", {"--metadata", "consumerID=kit"});
  INFO(output);
  CHECK(Failures(output).empty());
  CHECK_THAT(output, Catch::Contains(" 0 failed"));
}

TEST_CASE("mqtt input and output bindings pass conformance", "[mqtt]") {
  Fixture fixture;
  std::string output =
      fixture.Kit("bindings", {"--metadata", "consumerID=kit", "--metadata", "topic=kit/events"});
  INFO(output);
  CHECK(Failures(output).empty());
  CHECK_THAT(output, Catch::Contains("input-binding/init"));
  CHECK_THAT(output, Catch::Contains("output-binding/init"));
  CHECK_THAT(output, Catch::Contains(" 0 failed, 0 skipped"));
}

}  // namespace plughost::testing
