// Test support for test/distributed: one redis-server, and hosts each with its own
// plughost-redis process beside it (as replicas on separate machines would run), configured
// with every Redis kind.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "test/redis/redis_server.h"
#include "test/support/running_host.h"

namespace plughost::testing {

struct Replica {
  std::string app_id;
  std::string sockets;  // this replica's socket folder
  std::unique_ptr<ChildProcess> component;
  std::unique_ptr<RunningHost> host;

  dapr::proto::runtime::v1::Dapr::Stub& dapr() { return host->dapr(); }
  spec::proto::runtime::v1::Runtime::Stub& layotto() { return host->layotto(); }
};

inline std::string ReplicaConfig(const std::string& app_id, const std::string& redis) {
  std::string metadata = R"({"redisHost": ")" + redis + R"("})";
  // No consumerID: the host gives the pub/sub the app id, as daprd does, so the replicas of one
  // app share a consumer group and compete, and the second app has its own group.
  std::string pubsub_metadata =
      R"({"redisHost": ")" + redis + R"(", "processingTimeout": "5s", "redeliverInterval": "500"})";
  return R"({"app_id": ")" + app_id + R"(", "components": [
    {"name": "statestore", "type": "state.redis-state", "metadata": )" +
         metadata + R"(},
    {"name": "lockstore", "type": "lock.redis-lock", "metadata": )" +
         metadata + R"(},
    {"name": "cache", "type": "bindings.redis-bindings", "metadata": )" +
         metadata + R"(},
    {"name": "ids", "type": "sequencer.redis-sequencer", "metadata": )" +
         metadata + R"(},
    {"name": "pubsub", "type": "pubsub.redis-pubsub", "metadata": )" +
         pubsub_metadata + R"(},
    {"name": "config", "type": "configuration.redis-configuration", "metadata": )" +
         metadata +
         R"(}
  ]})";
}

// Starts plughost-redis in `<dir>/<name>/` and a host on that folder. Check host->started().
inline std::unique_ptr<Replica> StartReplica(const TempDir& dir, const std::string& name,
                                             const std::string& app_id, const RedisServer& redis) {
  auto replica = std::make_unique<Replica>();
  replica->app_id = app_id;
  replica->sockets = dir.File(name);
  ::mkdir(replica->sockets.c_str(), 0700);
  replica->component =
      ChildProcess::Spawn({RequiredEnv("REDIS_COMPONENT_BIN"), "--sockets-dir", replica->sockets},
                          dir.File(name + "-redis.log"));
  // Every socket before the host starts: a configured type must be there at startup.
  for (const char* kind : {"state", "lock", "sequencer", "pubsub", "configuration", "bindings"}) {
    WaitForSocket(replica->sockets + "/redis-" + kind + ".sock", std::chrono::seconds(10));
  }
  std::string config = dir.File(name + ".json");
  WriteFile(config, ReplicaConfig(app_id, redis.address()));
  replica->host = std::make_unique<RunningHost>(dir, replica->sockets,
                                                std::vector<std::string>{"--config", config});
  return replica;
}

}  // namespace plughost::testing
