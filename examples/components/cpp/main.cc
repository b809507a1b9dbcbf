// plughost-sample-component: a pluggable component in C++, on the component SDK (sdk/cpp),
// serving every kind plughost knows on one Unix socket. See README.md.
#include <memory>

#include "examples/components/cpp/bindings_service.h"
#include "examples/components/cpp/configuration_service.h"
#include "examples/components/cpp/hello_service.h"
#include "examples/components/cpp/lock_service.h"
#include "examples/components/cpp/memory_state.h"
#include "examples/components/cpp/pubsub_service.h"
#include "examples/components/cpp/secret_service.h"
#include "examples/components/cpp/sequencer_service.h"
#include "sdk/cpp/component_server.h"

int main(int argc, char** argv) {
  using namespace plughost::sample;

  HelloService hello;
  SecretStoreService secrets;
  ConfigurationService configuration;
  LockService lock;
  SequencerService sequencer;
  auto binding_instances = std::make_shared<BindingInstances>();
  InputBindingService input_binding(binding_instances);
  OutputBindingService output_binding(binding_instances);
  PubSubService pubsub(std::make_shared<PubSubInstances>());

  // Declared after the services it serves, so it stops before they are destroyed.
  plughost::sdk::ComponentServer server("cpp-sample");
  server.AddStateStore<MemoryState>();
  server.AddService<hellopb::Hello>(&hello);
  server.AddService<secretspb::SecretStore>(&secrets);
  server.AddService<configpb::Configuration>(&configuration);
  server.AddService<lockpb::Lock>(&lock);
  server.AddService<sequencerpb::Sequencer>(&sequencer);
  server.AddService<bindingspb::InputBinding>(&input_binding);
  server.AddService<bindingspb::OutputBinding>(&output_binding);
  server.AddService<pubsubpb::PubSub>(&pubsub);
  return server.RunMain(argc, argv);
}
