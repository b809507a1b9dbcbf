// plughost-mqtt: Dapr's MQTT components (pubsub.mqtt3, bindings.mqtt3) as one pluggable-component
// process on libmosquitto. Each kind gets its own socket in the socket folder, named so that the
// component's type reads as Dapr's with "mqtt-<kind>" as the implementation:
//   mqtt-pubsub.sock    type pubsub.mqtt-pubsub
//   mqtt-bindings.sock  type bindings.mqtt-bindings (input and output)
// Usage: plughost-mqtt [--sockets-dir DIR] [--prefix NAME] [--kinds pubsub,bindings]
#include <memory>
#include <string>

#include "components/mqtt/bindings.h"
#include "components/mqtt/pubsub.h"
#include "sdk/cpp/component_server.h"
#include "sdk/cpp/multi_kind_main.h"
#include "sdk/cpp/input_binding_service.h"

namespace {

using plughost::sdk::ComponentServer;

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

}  // namespace

int main(int argc, char** argv) {
  return plughost::sdk::RunMultiKindProgram(
      {"plughost-mqtt", "mqtt", {"pubsub", "bindings"}, AddKind}, argc, argv);
}
