// plughost-mqtt: Dapr's MQTT components (pubsub.mqtt3, bindings.mqtt3) as one pluggable-component
// process on libmosquitto. Each kind gets its own socket in the socket folder, named so that the
// component's type reads as Dapr's with "mqtt-<kind>" as the implementation:
//   mqtt-pubsub.sock    type pubsub.mqtt-pubsub
//   mqtt-bindings.sock  type bindings.mqtt-bindings (input and output)
// Usage: plughost-mqtt [--sockets-dir DIR] [--prefix NAME] [--kinds pubsub,bindings]
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "components/mqtt/bindings.h"
#include "components/mqtt/pubsub.h"
#include "sdk/cpp/component_server.h"
#include "sdk/cpp/input_binding_service.h"
#include "sdk/cpp/socket_folder.h"
#include "sdk/cpp/termination_signals.h"

namespace {

using plughost::sdk::ComponentServer;

constexpr const char* kAllKinds[] = {"pubsub", "bindings"};

void AddKind(ComponentServer& server, const std::string& kind) {
  using namespace plughost::mqtt;
  if (kind == "pubsub") server.AddPubSub<MqttPubSub>();
  if (kind == "bindings") {
    server.AddOutputBinding<MqttOutputBinding>();
    server.AddServices(plughost::sdk::InputBindingServices(
        std::make_shared<plughost::sdk::InstanceMap<plughost::sdk::InputBinding>>(
            [] { return std::make_shared<MqttInputBinding>(); })));
  }
}

int Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "plughost-mqtt: %s\n", error);
  std::fprintf(error != nullptr ? stderr : stdout,
               "usage: plughost-mqtt [--sockets-dir DIR] [--prefix NAME] [--kinds K1,K2]\n"
               "serves <prefix>-<kind>.sock in DIR for each kind (default: every kind of "
               "pubsub, bindings; prefix mqtt)\n");
  return error != nullptr ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (auto installed = plughost::sdk::InstallTerminationHandlers(); !installed.ok()) {
    std::fprintf(stderr, "plughost-mqtt: %s\n", std::string(installed.message()).c_str());
    return 1;
  }
  std::string folder = plughost::sdk::ComponentSocketFolder();
  std::string prefix = "mqtt";
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
      std::fprintf(stderr, "plughost-mqtt: %s: %s\n", socket.c_str(),
                   std::string(started.message()).c_str());
      return 1;
    }
    std::fprintf(stderr, "plughost-mqtt: serving %s on %s\n", kind.c_str(), socket.c_str());
    servers.push_back(std::move(server));
  }
  int signal_number = plughost::sdk::WaitForTermination();
  std::fprintf(stderr, "plughost-mqtt: stopping on signal %d\n", signal_number);
  for (auto& server : servers) server->Shutdown();
  return 0;
}
