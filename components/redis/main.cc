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
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "components/redis/configuration.h"
#include "components/redis/lock_sequencer_binding.h"
#include "components/redis/pubsub.h"
#include "components/redis/state_store.h"
#include "sdk/cpp/component_server.h"
#include "sdk/cpp/socket_folder.h"
#include "sdk/cpp/termination_signals.h"

namespace {

using plughost::sdk::ComponentServer;

constexpr const char* kAllKinds[] = {"state",  "lock",          "sequencer",
                                     "pubsub", "configuration", "bindings"};

void AddKind(ComponentServer& server, const std::string& kind) {
  using namespace plughost::redis;
  if (kind == "state") server.AddStateStore<RedisStateStore>();
  if (kind == "lock") server.AddLock<RedisLock>();
  if (kind == "sequencer") server.AddSequencer<RedisSequencer>();
  if (kind == "bindings") server.AddOutputBinding<RedisBinding>();
  if (kind == "pubsub") server.AddPubSub<RedisPubSub>();
  if (kind == "configuration") server.AddConfiguration<RedisConfiguration>();
}

int Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "plughost-redis: %s\n", error);
  std::fprintf(error != nullptr ? stderr : stdout,
               "usage: plughost-redis [--sockets-dir DIR] [--prefix NAME] [--kinds K1,K2,...]\n"
               "serves <prefix>-<kind>.sock in DIR for each kind (default: every kind of "
               "state, lock, sequencer, pubsub, configuration, bindings; prefix redis)\n");
  return error != nullptr ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (auto installed = plughost::sdk::InstallTerminationHandlers(); !installed.ok()) {
    std::fprintf(stderr, "plughost-redis: %s\n", std::string(installed.message()).c_str());
    return 1;
  }
  std::string folder = plughost::sdk::ComponentSocketFolder();
  std::string prefix = "redis";
  std::set<std::string> kinds(std::begin(kAllKinds), std::end(kAllKinds));
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      std::string with_equals = std::string(flag) + "=";
      if (arg.rfind(with_equals, 0) == 0) return argv[i] + with_equals.size();
      if (arg == flag && i + 1 < argc) return argv[++i];
      return nullptr;
    };
    if (arg == "--help" || arg == "-h") return Usage(nullptr);
    if (const char* dir = value("--sockets-dir")) {
      folder = dir;
    } else if (const char* name = value("--prefix")) {
      prefix = name;
    } else if (const char* list = value("--kinds")) {
      kinds.clear();
      std::istringstream in(list);
      for (std::string kind; std::getline(in, kind, ',');) {
        if (std::find(std::begin(kAllKinds), std::end(kAllKinds), kind) == std::end(kAllKinds)) {
          return Usage(("unknown kind '" + kind + "'").c_str());
        }
        kinds.insert(kind);
      }
    } else {
      return Usage(("unknown argument '" + arg + "'").c_str());
    }
  }

  std::vector<std::unique_ptr<ComponentServer>> servers;
  for (const std::string& kind : kinds) {
    std::string name = prefix + "-" + kind;
    auto server = std::make_unique<ComponentServer>(name);
    AddKind(*server, kind);
    std::string socket = folder + "/" + name + ".sock";
    if (auto started = server->Start(socket); !started.ok()) {
      std::fprintf(stderr, "plughost-redis: %s: %s\n", socket.c_str(),
                   std::string(started.message()).c_str());
      return 1;
    }
    std::fprintf(stderr, "plughost-redis: serving %s on %s\n", kind.c_str(), socket.c_str());
    servers.push_back(std::move(server));
  }
  int signal_number = plughost::sdk::WaitForTermination();
  std::fprintf(stderr, "plughost-redis: stopping on signal %d\n", signal_number);
  for (auto& server : servers) server->Shutdown();
  return 0;
}
