// The running host: loads configuration, discovers sockets, builds the factory registry,
// creates and initialises instances, and serves the app-facing APIs until asked to stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/status/statusor.h"
#include "host/api/api_context.h"
#include "host/config/host_config.h"
#include "host/ops/metrics.h"
#include "host/registry/factory_registry.h"
#include "host/registry/instance_table.h"

namespace plughost {

class BindingDelivery;
class GrpcTcpListener;
class TopicDelivery;
class ComponentSupervisor;
class OpsServer;
class ProcessSupervisor;
class HttpServer;
class DaprHttpApi;
class DaprApi;
class LayottoApi;

struct HostOptions {
  std::string config_path;  // empty: embedded defaults
  std::string sockets_dir;
  std::string grpc_address = "127.0.0.1:50001";
  std::string app_id;                 // overrides the config's app_id when set
  std::string app_address;            // the app's callback server; empty: no callbacks
  std::string app_protocol = "grpc";  // how the host calls the app: "grpc" or "http"
  // Dapr's HTTP API (daprd's routes); "off" disables it.
  std::string http_address = "127.0.0.1:3500";
  bool http_address_explicit = false;
  // Dapr resource-file folders (--resources-path, repeatable), read after --config.
  std::vector<std::string> resources_paths;
  std::chrono::milliseconds probe_timeout{2000};
  // How long startup waits for sockets to answer discovery before serving; a socket still
  // silent then is probed in the background and joins when it answers (unless the
  // configuration names its type: then startup waits up to probe_timeout for it).
  std::chrono::milliseconds discovery_wait{250};
  std::chrono::milliseconds init_timeout{5000};
  std::chrono::milliseconds drain_timeout{5000};
  // The longest wait before a launched process that keeps failing is started again.
  std::chrono::milliseconds restart_max_backoff{10000};
  std::chrono::milliseconds ping_interval{1000};
  std::chrono::milliseconds ping_timeout{2000};
  int ping_failure_threshold = 3;  // consecutive failed Pings before an instance is unhealthy
  // Bound on each component call when the app set no tighter deadline.
  std::chrono::milliseconds component_timeout{30000};
  std::string api_token;             // DAPR_API_TOKEN: required on every API call when set
  int64_t max_concurrent_calls = 0;  // per component instance; 0 = unlimited
  // Connections open at once on the gRPC TCP port and on the HTTP API port; 0 = unlimited.
  int64_t max_connections = 1024;
  int max_message_bytes = 4 << 20;  // larger requests get RESOURCE_EXHAUSTED
  bool allow_insecure_sockets_dir = false;
  // Operator endpoints (/healthz, /readyz, /metrics); empty or "off" disables them. When the
  // default address is busy the host logs it and runs without them; an address given
  // explicitly must bind or the host does not start.
  std::string ops_address = "127.0.0.1:9090";
  bool ops_address_explicit = false;
};

// A startup failure and the exit code it deserves: 2 for bad configuration, 1 otherwise.
struct StartupError {
  int exit_code;
  std::string message;
};

class Host {
 public:
  ~Host();

  // Everything up to serving; on failure nothing keeps running.
  static std::unique_ptr<Host> Start(const HostOptions& options, StartupError* error);

  // Asks the host to stop; safe from any thread, returns at once.
  void RequestShutdown();
  // Blocks until shutdown is requested, then stops taking calls, drains in-flight ones within
  // the drain timeout, and closes component channels.
  void Wait();

  // The address apps connect to (with the real port when ":0" was asked for).
  const std::string& address() const { return address_; }

 private:
  Host() = default;
  bool LoadConfig(const HostOptions& options, StartupError* error);
  bool BuildRegistry(const HostOptions& options, StartupError* error);
  bool CreateInstances(const HostOptions& options, StartupError* error);
  bool StartServer(const HostOptions& options, StartupError* error);
  // Last step of Start: the gRPC TCP port accepts only once everything else runs.
  bool OpenGrpcPort(const HostOptions& options, StartupError* error);
  // The channel deliveries use to reach the app: gRPC, or the HTTP bridge (--app-protocol).
  std::shared_ptr<AppChannel> MakeAppChannel(const HostOptions& options);
  void StartSupervisor(const HostOptions& options);
  bool StartOpsServer(const HostOptions& options, StartupError* error);
  bool StartHttpServer(const HostOptions& options, StartupError* error);
  bool CheckSocketsDir(const HostOptions& options, StartupError* error);
  bool StartProcesses(const HostOptions& options, StartupError* error);
  void WaitForProcessSockets(std::chrono::milliseconds limit);
  void StopProcesses();

  HostConfig config_;
  std::unique_ptr<ProcessSupervisor> processes_;  // null when the config declares none
  std::unique_ptr<FactoryRegistry> registry_;
  InstanceTable instances_;
  ApiContext api_context_;
  std::unique_ptr<DaprApi> dapr_api_;
  std::unique_ptr<LayottoApi> layotto_api_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<GrpcTcpListener> grpc_listener_;  // after server_: destroyed (stopped) first
  // gRPC's end of grpc_listener_, held from StartServer until OpenGrpcPort hands it over.
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> grpc_tcp_acceptor_;
  std::unique_ptr<ComponentSupervisor> supervisor_;
  std::unique_ptr<BindingDelivery> binding_delivery_;  // input-binding events to the app
  std::unique_ptr<TopicDelivery> topic_delivery_;      // pub/sub messages to the app
  Metrics metrics_;
  std::unique_ptr<OpsServer> ops_server_;
  // Dapr's HTTP API, calling dapr_api_ through server_'s in-process channel.
  std::unique_ptr<DaprHttpApi> dapr_http_api_;
  std::unique_ptr<HttpServer> http_server_;
  std::string address_;
  std::chrono::milliseconds drain_timeout_{5000};
  std::vector<std::string> late_sockets_;  // still silent when discovery settled
  std::set<std::string> seen_sockets_;     // every socket startup discovery looked at

  std::mutex mutex_;
  std::condition_variable shutdown_cv_;
  bool shutdown_requested_ = false;
};

}  // namespace plughost
