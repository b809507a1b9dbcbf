// plughost-sample-component: a pluggable component in C++ serving Dapr's state store services
// and Layotto's hello service on one Unix socket. See README.md.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "examples/components/cpp/bindings_service.h"
#include "examples/components/cpp/configuration_service.h"
#include "examples/components/cpp/hello_service.h"
#include "examples/components/cpp/lock_service.h"
#include "examples/components/cpp/sequencer_service.h"
#include "examples/components/cpp/secret_service.h"
#include "examples/components/cpp/pubsub_service.h"
#include "examples/components/cpp/socket_guard.h"
#include "examples/components/cpp/state_service.h"
#include "examples/components/cpp/termination_signals.h"

namespace plughost::sample {
namespace {

constexpr char kLogPrefix[] = "cpp-sample: ";
constexpr char kDefaultName[] = "cpp-sample";
constexpr char kUsage[] =
    "usage: plughost-sample-component [--socket PATH] [--name NAME]\n"
    "  --socket PATH  listen on PATH (default: <folder>/<name>.sock, folder from\n"
    "                 DAPR_COMPONENTS_SOCKETS_FOLDER, DAPR_COMPONENT_SOCKETS_FOLDER,\n"
    "                 or /tmp/dapr-components-sockets)\n"
    "  --name NAME    component name, i.e. the socket file's stem (default: cpp-sample)\n";
// In-flight calls get this long to finish after SIGINT/SIGTERM. Every call here is in-memory and
// takes microseconds, but gRPC also waits this long for connected clients (such as the host's
// long-lived channels) to hang up, so a long grace would only slow every stop down.
constexpr auto kShutdownGrace = std::chrono::milliseconds(500);

struct Options {
  std::string socket;
  std::string name = kDefaultName;
  bool help = false;
};

// Accepts "--flag value" and "--flag=value".
bool ParseArgs(int argc, char** argv, Options* options, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      options->help = true;
      continue;
    }
    std::string* target = nullptr;
    std::string_view flag = arg.substr(0, arg.find('='));
    if (flag == "--socket") target = &options->socket;
    if (flag == "--name") target = &options->name;
    if (target == nullptr) {
      *error = "unknown argument " + std::string(arg);
      return false;
    }
    if (flag.size() < arg.size()) {
      *target = std::string(arg.substr(flag.size() + 1));
    } else if (i + 1 < argc) {
      *target = argv[++i];
    } else {
      *error = std::string(flag) + " needs a value";
      return false;
    }
    if (target->empty()) {
      *error = std::string(flag) + " must not be empty";
      return false;
    }
  }
  if (options->name.find('/') != std::string::npos) {
    *error = "--name must not contain '/'";
    return false;
  }
  return true;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string joined;
  for (const std::string& part : parts) {
    if (!joined.empty()) joined += separator;
    joined += part;
  }
  return joined;
}

int Run(int argc, char** argv) {
  // Before gRPC starts any thread, so the mask is inherited everywhere.
  BlockTerminationSignals();

  Options options;
  std::string error;
  if (!ParseArgs(argc, argv, &options, &error)) {
    std::fprintf(stderr, "%s%s\n%s", kLogPrefix, error.c_str(), kUsage);
    return 2;
  }
  if (options.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string socket_path =
      options.socket.empty() ? DefaultSocketPath(options.name) : options.socket;

  std::unique_ptr<SocketGuard> guard = SocketGuard::Claim(socket_path, &error);
  if (!guard) {
    std::fprintf(stderr, "%s%s\n", kLogPrefix, error.c_str());
    return 1;
  }

  auto state_instances = std::make_shared<StateInstances>();
  StateStoreService state_store(state_instances);
  TransactionalStateService transactional(state_instances);
  MultiMaxSizeService multi_max_size(state_instances);
  HelloService hello;
  SecretStoreService secrets;
  ConfigurationService configuration;
  LockService lock;
  SequencerService sequencer;
  auto binding_instances = std::make_shared<BindingInstances>();
  InputBindingService input_binding(binding_instances);
  OutputBindingService output_binding(binding_instances);
  PubSubService pubsub(std::make_shared<PubSubInstances>());

  // Hosts find services by reflection; an explicit call keeps --as-needed from dropping the
  // plugin's library.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
  builder.RegisterService(&state_store);
  builder.RegisterService(&transactional);
  builder.RegisterService(&multi_max_size);
  builder.RegisterService(&hello);
  builder.RegisterService(&secrets);
  builder.RegisterService(&configuration);
  builder.RegisterService(&lock);
  builder.RegisterService(&sequencer);
  builder.RegisterService(&input_binding);
  builder.RegisterService(&output_binding);
  builder.RegisterService(&pubsub);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "%scannot listen on %s\n", kLogPrefix, socket_path.c_str());
    return 1;
  }
  if (!guard->MarkBound(&error)) {
    std::fprintf(stderr, "%s%s\n", kLogPrefix, error.c_str());
    server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
    return 1;
  }

  const std::vector<std::string> services = {
      statepb::StateStore::service_full_name(),
      statepb::TransactionalStateStore::service_full_name(),
      statepb::TransactionalStoreMultiMaxSize::service_full_name(),
      hellopb::Hello::service_full_name(),
      secretspb::SecretStore::service_full_name(),
      configpb::Configuration::service_full_name(),
      lockpb::Lock::service_full_name(),
      sequencerpb::Sequencer::service_full_name(),
      bindingspb::InputBinding::service_full_name(),
      bindingspb::OutputBinding::service_full_name(),
      pubsubpb::PubSub::service_full_name(),
  };
  std::fprintf(stderr, "%sserving %s on %s\n", kLogPrefix, Join(services, ", ").c_str(),
               socket_path.c_str());

  int signal_number = WaitForTerminationSignal();
  std::fprintf(stderr, "%sstopping on signal %d\n", kLogPrefix, signal_number);
  server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  server->Wait();
  return 0;  // `guard` removes the socket and lock file on the way out.
}

}  // namespace
}  // namespace plughost::sample

int main(int argc, char** argv) { return plughost::sample::Run(argc, argv); }
