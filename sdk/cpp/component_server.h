// A pluggable component's gRPC server on a Unix socket: the one object a component's main()
// needs. It claims the socket safely (socket_guard.h), registers gRPC server reflection (hosts
// discover services with it), serves the services added to it, stops gracefully on SIGINT or
// SIGTERM, and removes the socket when it stops.
//
//   int main(int argc, char** argv) {
//     plughost::sdk::ComponentServer server("my-store");
//     server.AddStateStore<MyStore>();     // one MyStore per x-component-instance
//     return server.RunMain(argc, argv);   // --socket PATH, --name NAME; exit code
//   }
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <grpcpp/server.h>

#include "absl/status/status.h"
#include "sdk/cpp/configuration_service.h"
#include "sdk/cpp/instance_map.h"
#include "sdk/cpp/pubsub_service.h"
#include "sdk/cpp/socket_guard.h"
#include "sdk/cpp/state_store.h"
#include "sdk/cpp/state_store_service.h"
#include "sdk/cpp/unary_kind_services.h"

namespace plughost::sdk {

class ComponentServer {
 public:
  // `name`: the default socket stem (hosts derive the component's type from it) and the prefix
  // of the server's log lines.
  explicit ComponentServer(std::string name);
  ~ComponentServer();  // Shutdown()
  ComponentServer(const ComponentServer&) = delete;
  ComponentServer& operator=(const ComponentServer&) = delete;

  // Serves a state store: one `Store` per x-component-instance, created (with `args`) by the
  // first call naming the instance. A TransactionalStateStore also gets Dapr's
  // TransactionalStateStore and TransactionalStoreMultiMaxSize services.
  template <typename Store, typename... Args>
  void AddStateStore(Args... args) {
    static_assert(std::is_base_of_v<StateStore, Store>, "Store must derive from sdk::StateStore");
    if constexpr (std::is_base_of_v<TransactionalStateStore, Store>) {
      AddServices(StateStoreServices(std::make_shared<InstanceMap<TransactionalStateStore>>(
          [args...] { return std::make_shared<Store>(args...); })));
    } else {
      AddServices(StateStoreServices(std::make_shared<InstanceMap<StateStore>>(
          [args...] { return std::make_shared<Store>(args...); })));
    }
  }

  // The other kinds, the same way: one `Impl` (deriving from the kind's base) per instance.
  template <typename Impl, typename... Args>
  void AddLock(Args... args) {
    AddServices(LockServices(Instances<LockStore, Impl>(args...)));
  }
  template <typename Impl, typename... Args>
  void AddSequencer(Args... args) {
    AddServices(SequencerServices(Instances<Sequencer, Impl>(args...)));
  }
  template <typename Impl, typename... Args>
  void AddOutputBinding(Args... args) {
    AddServices(OutputBindingServices(Instances<OutputBinding, Impl>(args...)));
  }
  template <typename Impl, typename... Args>
  void AddPubSub(Args... args) {
    AddServices(PubSubServices(Instances<PubSub, Impl>(args...)));
  }
  template <typename Impl, typename... Args>
  void AddConfiguration(Args... args) {
    AddServices(ConfigurationServices(Instances<ConfigurationStore, Impl>(args...)));
  }

  // Serves any other callback-API service, e.g. AddService<hellopb::Hello>(&hello). `Grpc` is
  // the generated service class (its full name is logged); the server does not own `service`,
  // which must outlive Shutdown().
  template <typename Grpc>
  void AddService(typename Grpc::CallbackService* service) {
    AddService(service, Grpc::service_full_name());
  }
  void AddService(grpc::Service* service, std::string full_name);
  void AddServices(std::vector<NamedService> services);

  // Claims `socket_path` and starts serving, with reflection. FAILED_PRECONDITION when another
  // process holds or serves the socket; other codes when the path or the server cannot be set
  // up. Call once.
  absl::Status Start(const std::string& socket_path);
  // Stops taking calls, lets calls in flight finish within the grace period (then cancels
  // them), and removes the socket and its lock file. Idempotent.
  void Shutdown();

  // The whole life of a component process: parses [--socket PATH] [--name NAME] [--help],
  // starts, logs "<name>: serving <services> on <socket>" to stderr, waits for SIGINT, SIGTERM
  // or RequestTermination() (termination_signals.h), shuts down. Returns the exit code:
  // 0 after a clean stop or --help, 1 when it cannot serve, 2 for bad arguments.
  int RunMain(int argc, char** argv);

  // How long calls in flight may take after a stop is asked. gRPC also waits this long for
  // connected clients (such as a host's long-lived channels) to hang up, so keep it short.
  void set_shutdown_grace(std::chrono::milliseconds grace) { shutdown_grace_ = grace; }
  const std::vector<std::string>& service_names() const { return service_names_; }
  const std::string& name() const { return name_; }

 private:
  template <typename Base, typename Impl, typename... Args>
  static std::shared_ptr<InstanceMap<Base>> Instances(Args... args) {
    static_assert(std::is_base_of_v<Base, Impl>, "the implementation must derive from the base");
    return std::make_shared<InstanceMap<Base>>(
        [args...] { return std::make_shared<Impl>(args...); });
  }

  std::string name_;
  std::chrono::milliseconds shutdown_grace_{500};
  std::vector<std::string> service_names_;
  std::vector<grpc::Service*> services_;
  // Services the server built itself (AddStateStore); declared before server_, so they
  // outlive it.
  std::vector<std::unique_ptr<grpc::Service>> owned_services_;
  std::unique_ptr<SocketGuard> guard_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace plughost::sdk
