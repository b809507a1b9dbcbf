// plughost-redis: Dapr's Redis components as one pluggable-component process. Each kind gets
// its own socket in the socket folder, named so that the component's type reads as Dapr's with
// "redis-<kind>" as the implementation:
//   redis-state.sock          type state.redis-state
//   redis-lock.sock           type lock.redis-lock
//   redis-sequencer.sock      type sequencer.redis-sequencer
//   redis-pubsub.sock         type pubsub.redis-pubsub
//   redis-configuration.sock  type configuration.redis-configuration
//   redis-bindings.sock       type bindings.redis-bindings
// Usage: plughost-redis [--sockets-dir DIR] [--prefix NAME] [--kinds state,lock,...]
#include <string>

#include "components/redis/configuration.h"
#include "components/redis/lock_sequencer_binding.h"
#include "components/redis/pubsub.h"
#include "components/redis/state_store.h"
#include "sdk/cpp/component_server.h"
#include "sdk/cpp/multi_kind_main.h"

namespace {

using plughost::sdk::ComponentServer;

void AddKind(ComponentServer& server, const std::string& kind) {
  using namespace plughost::redis;
  if (kind == "state") server.AddStateStore<RedisStateStore>();
  if (kind == "lock") server.AddLock<RedisLock>();
  if (kind == "sequencer") server.AddSequencer<RedisSequencer>();
  if (kind == "bindings") server.AddOutputBinding<RedisBinding>();
  if (kind == "pubsub") server.AddPubSub<RedisPubSub>();
  if (kind == "configuration") server.AddConfiguration<RedisConfiguration>();
}

}  // namespace

int main(int argc, char** argv) {
  return plughost::sdk::RunMultiKindProgram(
      {"plughost-redis",
       "redis",
       {"state", "lock", "sequencer", "pubsub", "configuration", "bindings"},
       AddKind},
      argc, argv);
}
