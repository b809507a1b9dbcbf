// A host configured for one of plughost-redis's kinds starts beside the sockets of the others:
// their automatic instances get no metadata, refuse Init, and are left out with a warning
// naming the type, instead of stopping the host (they did, before).
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test/redis/redis_server.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

using namespace std::chrono_literals;
namespace rt = dapr::proto::runtime::v1;

TEST_CASE("unconfigured sockets that refuse Init do not stop the host", "[redis]") {
  TempDir dir;
  RedisServer redis(dir);
  REQUIRE(redis.started());
  std::string sockets = dir.File("sockets");
  ::mkdir(sockets.c_str(), 0700);
  auto component = ChildProcess::Spawn(
      {RequiredEnv("REDIS_COMPONENT_BIN"), "--sockets-dir", sockets}, dir.File("redis.log"));
  for (const char* kind : {"state", "lock", "sequencer", "pubsub", "configuration", "bindings"}) {
    REQUIRE(WaitForSocket(sockets + "/redis-" + kind + ".sock", 10s));
  }
  std::string config = dir.File("config.json");
  WriteFile(config, R"({"app_id": "solo", "components": [
    {"name": "statestore", "type": "state.redis-state", "metadata": {"redisHost": ")" +
                        redis.address() + R"("}}]})");
  RunningHost host(dir, sockets, {"--config", config});
  INFO(host.Log());
  REQUIRE(host.started());
  CHECK_THAT(host.Log(),
             Catch::Contains("no configuration entry names type 'pubsub.redis-pubsub'"));

  rt::SaveStateRequest save;
  save.set_store_name("statestore");
  auto* item = save.add_states();
  item->set_key("k");
  item->set_value("v");
  google::protobuf::Empty empty;
  REQUIRE(host.dapr().SaveState(Deadline().get(), save, &empty).ok());
  rt::GetStateRequest get;
  get.set_store_name("statestore");
  get.set_key("k");
  rt::GetStateResponse got;
  REQUIRE(host.dapr().GetState(Deadline().get(), get, &got).ok());
  CHECK(got.data() == "v");
  // The left-out instance is not served: the app gets daprd's "not found".
  rt::PublishEventRequest publish;
  publish.set_pubsub_name("redis-pubsub");
  publish.set_topic("t");
  publish.set_data("x");
  CHECK_FALSE(host.dapr().PublishEvent(Deadline().get(), publish, &empty).ok());
}

}  // namespace
}  // namespace plughost::testing
