#include "host/runtime/host.h"

#include <fmt/format.h>
#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "common/backoff.h"
#include "host/api/dapr_api.h"
#include "host/api/layotto_api.h"
#include "host/api/metered_unary_reactor.h"
#include "host/api/state_keys.h"
#include "host/app_callback/binding_delivery.h"
#include "host/app_callback/topic_delivery.h"
#include "host/builtins/builtins.h"
#include "host/components/binding_direction.h"
#include "host/common/log.h"
#include "host/discovery/discovery.h"
#include "host/discovery/folder_trust.h"
#include "host/discovery/socket_folder.h"
#include "host/lifecycle/component_supervisor.h"
#include "host/ops/metrics_interceptor.h"
#include "host/ops/ops_server.h"
#include "host/runtime/listen_address.h"
#include "wrappers/pluggable_factories.h"

namespace plughost {
namespace {

std::string KnownTypes(const FactoryRegistry& registry, const std::vector<ComponentKind>& kinds) {
  std::set<std::string> types;
  for (const auto* factory : registry.All()) {
    for (auto kind : kinds) {
      if (factory->kind() == kind) types.insert(factory->type());
    }
  }
  if (types.empty()) return "none";
  std::string list;
  for (const auto& type : types) list += (list.empty() ? "" : ", ") + type;
  return list;
}

// Why no socket provides `<prefix>.<name>`: where the host looked, how pluggable types are
// named, and what a socket of that name serves instead.
std::string ExplainMissingPluggable(const FactoryRegistry& registry, const std::string& folder,
                                    const std::string& prefix, const std::string& name) {
  std::string text = fmt::format("Pluggable types come from socket file names: {}.{} needs {}/{}"
                                 ".sock serving a {} service (folder searched: {})", prefix, name,
                                 folder, name, prefix, folder);
  std::set<std::string> other_kinds;
  for (const auto* factory : registry.All()) {
    std::string factory_prefix, factory_name;
    SplitType(factory->type(), &factory_prefix, &factory_name);
    if (!factory->socket_path().empty() && factory_name == name) other_kinds.insert(factory_prefix);
  }
  if (!other_kinds.empty()) {
    std::string kinds;
    for (const auto& kind : other_kinds) kinds += (kinds.empty() ? "" : ", ") + kind;
    text += fmt::format("; the socket named {} serves {}, not {}", name, kinds, prefix);
  }
  return text;
}

// Per-kind settings derived from an instance's metadata before it serves.
absl::Status PrepareInstance(InstanceInfo& info, const std::string& app_id) {
  // Lock and sequencer keys are namespaced with the same keyPrefix strategies as state keys.
  bool prefixes_keys = info.kind == ComponentKind::kState || info.kind == ComponentKind::kLock ||
                       info.kind == ComponentKind::kSequencer;
  if (!prefixes_keys) return absl::OkStatus();
  auto prefix = StateKeyPrefix(info.metadata, info.name, app_id);
  if (!prefix.ok()) {
    return absl::InvalidArgumentError("metadata.keyPrefix: " + std::string(prefix.status().message()));
  }
  info.key_prefix = std::move(*prefix);
  return absl::OkStatus();
}

std::string ProcessEnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

}  // namespace

Host::~Host() {
  // First: its thread may call into topic_delivery_, which is destroyed before it.
  if (supervisor_) supervisor_->Stop();
  if (server_) server_->Shutdown(std::chrono::system_clock::now());
}

std::unique_ptr<Host> Host::Start(const HostOptions& options, StartupError* error) {
  std::unique_ptr<Host> host(new Host());
  host->drain_timeout_ = options.drain_timeout;
  if (!host->CheckSocketsDir(options, error) || !host->LoadConfig(options, error) ||
      !host->BuildRegistry(options, error) || !host->CreateInstances(options, error) ||
      !host->StartServer(options, error)) {
    return nullptr;
  }
  // Created before the supervisor, which tells it about pubsubs that appear later; started
  // below, once everything else serves.
  TopicDeliveryOptions topic_options;
  topic_options.lag = &host->metrics_.subscription_lag();  // /metrics shows what is pending
  host->topic_delivery_ = std::make_unique<TopicDelivery>(&host->api_context_, topic_options);
  host->StartSupervisor(options);
  if (!host->StartOpsServer(options, error)) return nullptr;
  // Input-binding events flow to the app once everything else serves (no-op without an app).
  host->binding_delivery_ = std::make_unique<BindingDelivery>(&host->api_context_);
  host->binding_delivery_->Start();
  // Pub/sub messages too: the app may list its topics only once it is up (no-op without an app).
  host->topic_delivery_->Start();
  return host;
}

bool Host::CheckSocketsDir(const HostOptions& options, StartupError* error) {
  struct stat st {};
  if (::stat(options.sockets_dir.c_str(), &st) != 0) {
    // Created private, so no other user can plant a socket in it; said once, so a typo in
    // --sockets-dir shows in the log rather than as a host without components.
    if (::mkdir(options.sockets_dir.c_str(), 0750) != 0 && errno != EEXIST) {
      PH_LOG_WARN("host", "socket folder {} does not exist and cannot be created ({}); no "
                  "pluggable components until it exists", options.sockets_dir, std::strerror(errno));
    } else {
      PH_LOG_INFO("host", "socket folder {} did not exist: created it (mode 0750); no pluggable "
                  "components yet, sockets created there later are picked up",
                  options.sockets_dir);
    }
    return true;
  }
  if (!S_ISDIR(st.st_mode) || !(st.st_mode & S_IWOTH)) return true;
  if (options.allow_insecure_sockets_dir) {
    PH_LOG_WARN("host", "socket folder {} is writable by every user (mode {:04o}); accepted "
                "because of --allow-insecure-sockets-dir", options.sockets_dir, st.st_mode & 07777);
    return true;
  }
  // Dapr's injector gives the folder an emptyDir (mode 0777) that only this pod can reach.
  FolderTrust trust = JudgeWorldWritableFolder(options.sockets_dir);
  if (trust.pod_local) {
    PH_LOG_INFO("host", "socket folder {} is writable by every user (mode {:04o}) but is {}: "
                "accepted", options.sockets_dir, st.st_mode & 07777, trust.why);
    return true;
  }
  *error = {2, fmt::format("socket folder {} is writable by every user (mode {:04o}) and is not "
                           "a pod-local volume ({}): anyone could plant a component socket there. "
                           "Fix: chmod o-w {}, or pass --allow-insecure-sockets-dir",
                           options.sockets_dir, st.st_mode & 07777, trust.why,
                           options.sockets_dir)};
  return false;
}

bool Host::LoadConfig(const HostOptions& options, StartupError* error) {
  if (options.config_path.empty()) {
    config_ = EmbeddedDefaults();
  } else {
    auto loaded = LoadHostConfig(options.config_path);
    if (!loaded.ok()) {
      *error = {2, std::string(loaded.status().message())};
      return false;
    }
    config_ = std::move(*loaded);
  }
  if (!options.app_id.empty()) config_.app_id = options.app_id;
  PH_LOG_INFO("host", "configuration from {}: app id '{}', {} component(s)", config_.source,
              config_.app_id, config_.components.size());
  return true;
}

bool Host::BuildRegistry(const HostOptions& options, StartupError* error) {
  FactoryRegistry::Builder builder;
  if (auto status = RegisterBuiltins(builder); !status.ok()) {
    *error = {1, std::string(status.message())};
    return false;
  }
  DiscoveryOptions discovery_options;
  discovery_options.folder = options.sockets_dir;
  discovery_options.probe_timeout = options.probe_timeout;
  discovery_options.settle_after = options.discovery_wait;
  // The configured types no built-in has and no discovered socket serves yet.
  auto missing_types = [&](const std::vector<DiscoveredSocket>& found) {
    std::set<std::string> missing;
    for (const auto& spec : config_.components) {
      if (builder.HasType(spec.type)) continue;
      bool served = false;
      for (const auto& socket : found) {
        for (ComponentKind kind : socket.kinds) {
          served = served || MakeType(kind, socket.name) == spec.type;
        }
      }
      if (!served) missing.insert(spec.type);
    }
    return missing;
  };
  // Startup may go on without a silent socket only if no configured component needs its type.
  discovery_options.enough = [&](const std::vector<DiscoveredSocket>& found) {
    return missing_types(found).empty();
  };
  auto discovered = DiscoverComponents(discovery_options);
  // A component started together with the host may not have created its socket yet: a type
  // the configuration names is waited for (up to the longer of --discovery-wait and
  // --init-timeout), listing the folder again whenever it changes.
  auto wait_limit = std::max(options.discovery_wait, options.init_timeout);
  auto wait_until = std::chrono::steady_clock::now() + wait_limit;
  auto listed = ListSocketFolder(options.sockets_dir).sockets;
  Backoff relist(Backoff::Options{.initial = std::chrono::milliseconds(20),
                                  .max = std::chrono::milliseconds(200)});
  for (auto missing = missing_types(discovered.components);
       !missing.empty() && std::chrono::steady_clock::now() < wait_until;
       missing = missing_types(discovered.components)) {
    if (relist.current() == relist.options().initial) {
      std::string names;
      for (const auto& type : missing) names += (names.empty() ? "" : ", ") + type;
      PH_LOG_INFO("discovery", "waiting up to {} ms for {} (named by the configuration): no "
                  "socket in {} serves it yet", wait_limit.count(), names, options.sockets_dir);
    }
    std::this_thread::sleep_for(relist.NextDelay());
    auto now_listed = ListSocketFolder(options.sockets_dir).sockets;
    if (now_listed == listed) continue;
    listed = std::move(now_listed);
    discovery_options.settle_after = std::chrono::milliseconds(0);  // wait for every probe
    discovered = DiscoverComponents(discovery_options);
  }
  late_sockets_ = discovered.pending;
  seen_sockets_.insert(discovered.pending.begin(), discovered.pending.end());
  for (const auto& socket : discovered.components) seen_sockets_.insert(socket.path);
  for (const auto& entry : discovered.skipped) seen_sockets_.insert(entry.path);
  PH_LOG_INFO("discovery", "{}: {} component socket(s), {} skipped, {} still probing, in {} ms",
              options.sockets_dir, discovered.components.size(), discovered.skipped.size(),
              discovered.pending.size(), discovered.elapsed.count());
  if (auto status = RegisterDiscovered(builder, discovered.components); !status.ok()) {
    *error = {2, std::string(status.message())};
    return false;
  }
  metrics_.SetDiscovery({discovered.components.size(), discovered.skipped.size(),
                         std::chrono::duration<double>(discovered.elapsed).count()});
  registry_ = std::make_unique<FactoryRegistry>(std::move(builder).Build());
  return true;
}

bool Host::CreateInstances(const HostOptions& options, StartupError* error) {
  std::vector<InstanceInfo> pending;
  std::set<std::string> configured_types;
  auto make_instance = [&](const ComponentFactory& factory, const std::string& name,
                           const std::string& version,
                           const std::map<std::string, std::string>& metadata) {
    InstanceInfo info;
    info.name = name;
    info.type = factory.type();
    info.version = version;
    info.kind = factory.kind();
    info.source = factory.source();
    info.metadata = metadata;
    info.component = factory.Create(name);
    info.init_spec = InitSpec{name, factory.type(), metadata, options.init_timeout};
    info.socket_path = factory.socket_path();
    return info;
  };

  for (const auto& spec : config_.components) {
    configured_types.insert(spec.type);
    auto factories = registry_->FindByType(spec.type);
    if (factories.empty()) {
      std::string prefix, impl;
      SplitType(spec.type, &prefix, &impl);
      *error = {2, fmt::format("{}: {}.type: unknown component type \"{}\"; known {} types: {}. "
                               "{}",
                               config_.source, spec.field, spec.type, prefix,
                               KnownTypes(*registry_, KindsForPrefix(prefix)),
                               ExplainMissingPluggable(*registry_, options.sockets_dir, prefix,
                                                       impl))};
      return false;
    }
    size_t created = 0;
    for (const auto* factory : factories) {
      // As Dapr: a binding's `direction` metadata decides which sides exist at all.
      bool is_binding = factory->kind() == ComponentKind::kInputBinding ||
                        factory->kind() == ComponentKind::kOutputBinding;
      if (is_binding && !BindingServesAs(spec.metadata, factory->kind())) continue;
      pending.push_back(make_instance(*factory, spec.name, spec.version, spec.metadata));
      pending.back().configured = true;
      ++created;
    }
    if (created == 0) {
      *error = {2, fmt::format("{}: {}.metadata.direction names no side that {} serves "
                               "(input, output)", config_.source, spec.field, spec.type)};
      return false;
    }
  }
  // A socket no configuration entry uses still serves: one instance named after the socket.
  for (const auto* factory : registry_->All()) {
    if (factory->socket_path().empty() || configured_types.count(factory->type())) continue;
    std::string prefix, name;
    SplitType(factory->type(), &prefix, &name);
    pending.push_back(make_instance(*factory, name, "v1", {}));
  }

  for (auto& info : pending) {
    if (auto status = PrepareInstance(info, config_.app_id); !status.ok()) {
      *error = {2, fmt::format("{}: component '{}' {}", config_.source, info.name,
                               std::string(status.message()))};
      return false;
    }
  }

  // Initialise every instance concurrently; each Init is bounded by its own timeout.
  struct InitResults {
    std::mutex mutex;
    std::condition_variable cv;
    size_t remaining;
    std::vector<std::string> failures;
  };
  auto results = std::make_shared<InitResults>();
  results->remaining = pending.size();
  for (auto& info : pending) {
    std::string label = fmt::format("{} '{}' ({}, {})", KindDisplayName(info.kind), info.name,
                                    info.type, info.source);
    info.component->Init(info.init_spec, [results, label](grpc::Status status) {
      std::lock_guard lock(results->mutex);
      if (!status.ok()) {
        results->failures.push_back(fmt::format("{}: Init failed: {} ({})", label,
                                                status.error_message(),
                                                static_cast<int>(status.error_code())));
      }
      if (--results->remaining == 0) results->cv.notify_all();
    });
  }
  {
    std::unique_lock lock(results->mutex);
    // Timeouts are enforced per call; the extra second only guards against a lost callback.
    bool all_done = results->cv.wait_for(lock, options.init_timeout + std::chrono::seconds(1),
                                         [&] { return results->remaining == 0; });
    if (!all_done) results->failures.push_back("some component Init calls never completed");
    if (!results->failures.empty()) {
      std::string message = "component initialisation failed:";
      for (const auto& f : results->failures) message += "\n  " + f;
      *error = {1, message};
      return false;
    }
  }

  for (auto& info : pending) {
    PH_LOG_INFO("host", "{} '{}' ready ({} from {}){}", KindDisplayName(info.kind), info.name,
                info.type, info.source,
                info.configured ? "" : "; no configuration entry, so initialised without "
                                       "metadata (name its type in the config to give it some)");
    if (auto status = instances_.Add(std::move(info)); !status.ok()) {
      *error = {2, std::string(status.message())};
      return false;
    }
  }
  return true;
}

bool Host::StartServer(const HostOptions& options, StartupError* error) {
  api_context_.instances = &instances_;
  api_context_.metrics = &metrics_;  // unary calls; the interceptor below records streams
  api_context_.app_id = config_.app_id;
  api_context_.runtime_version = PLUGHOST_VERSION;
  api_context_.request_shutdown = [this] { RequestShutdown(); };
  api_context_.api_token = options.api_token;
  api_context_.max_concurrent_calls = options.max_concurrent_calls;
  api_context_.component_timeout = options.component_timeout;
  if (!options.app_address.empty()) {
    api_context_.app_channel = std::make_shared<AppChannel>(
        options.app_address, ProcessEnvOr("APP_API_TOKEN", ""));
  }
  dapr_api_ = std::make_unique<DaprApi>(&api_context_);
  layotto_api_ = std::make_unique<LayottoApi>(&api_context_);

  auto listen = PrepareListenAddress(options.grpc_address);
  if (!listen.ok()) {
    *error = {2, fmt::format("--grpc-address {}: {}", options.grpc_address,
                             std::string(listen.status().message()))};
    return false;
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC answers larger requests with RESOURCE_EXHAUSTED before any handler runs.
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  int selected_port = 0;
  builder.AddListeningPort(listen->grpc_target, grpc::InsecureServerCredentials(),
                           listen->is_unix ? nullptr : &selected_port);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeMetricsInterceptorFactory(&metrics_, &instances_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(dapr_api_.get());
  builder.RegisterService(layotto_api_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || (!listen->is_unix && selected_port == 0)) {
    *error = {1, fmt::format("cannot listen on {} (in use, or not a valid address)",
                             options.grpc_address)};
    server_.reset();
    return false;
  }
  if (listen->is_unix) {
    ::chmod(listen->unix_path.c_str(), 0660);
    address_ = listen->grpc_target;
  } else {
    address_ = fmt::format("{}:{}", listen->host, selected_port);
  }
  PH_LOG_INFO("host", "serving dapr.proto.runtime.v1.Dapr and spec.proto.runtime.v1.Runtime on {}",
              address_);
  return true;
}

void Host::StartSupervisor(const HostOptions& options) {
  SupervisorOptions supervisor_options;
  supervisor_options.sockets_dir = options.sockets_dir;
  supervisor_options.ping_interval = options.ping_interval;
  supervisor_options.ping_timeout = options.ping_timeout;
  supervisor_options.ping_failure_threshold = options.ping_failure_threshold;
  supervisor_options.probe_timeout = options.probe_timeout;
  supervisor_options.init_timeout = options.init_timeout;
  std::string app_id = config_.app_id;
  // topic_delivery_ exists before the supervisor starts and outlives it (~Host stops it first).
  supervisor_options.instance_added = [delivery = topic_delivery_.get()](
                                          ComponentKind kind, const std::string& name) {
    delivery->InstanceAdded(kind, name);
  };
  supervisor_options.prepare_instance = [app_id](InstanceInfo& info) {
    if (auto status = PrepareInstance(info, app_id); !status.ok()) {
      PH_LOG_WARN("lifecycle", "{}: {}", info.name, std::string(status.message()));
    }
  };
  supervisor_ = std::make_unique<ComponentSupervisor>(std::move(supervisor_options), &instances_,
                                                      MakeSocketFactories);
  supervisor_->Start();
  // Discovery listed the folder before the watch existed: whatever appeared in between is
  // found by one more listing, now that nothing can slip past the watch.
  supervisor_->RescanAfterStartup(std::move(seen_sockets_));
  if (!late_sockets_.empty()) supervisor_->ProbeInBackground(late_sockets_);
}

bool Host::StartOpsServer(const HostOptions& options, StartupError* error) {
  if (options.ops_address.empty() || options.ops_address == "off") return true;
  OpsServer::Sources sources;
  sources.instances = &instances_;
  sources.metrics = &metrics_;
  sources.supervisor = [this]() -> const SupervisorCounters* {
    return supervisor_ ? &supervisor_->counters() : nullptr;
  };
  auto server = OpsServer::Start(options.ops_address, std::move(sources));
  if (!server.ok()) {
    if (options.ops_address_explicit) {
      *error = {1, fmt::format("--ops-address {}: {}", options.ops_address, server.status().message())};
      return false;
    }
    PH_LOG_ERROR("host", "operator endpoints disabled: {} (choose one with --ops-address)",
                 server.status().message());
    return true;
  }
  ops_server_ = std::move(*server);
  PH_LOG_INFO("host", "operator endpoints on http://{} (/healthz, /readyz, /metrics)",
              ops_server_->address());
  return true;
}

void Host::RequestShutdown() {
  std::lock_guard lock(mutex_);
  shutdown_requested_ = true;
  shutdown_cv_.notify_all();
}

void Host::Wait() {
  {
    std::unique_lock lock(mutex_);
    shutdown_cv_.wait(lock, [this] { return shutdown_requested_; });
  }
  PH_LOG_INFO("host", "shutting down: no new calls, draining in-flight calls (up to {} ms)",
              drain_timeout_.count());
  if (binding_delivery_) binding_delivery_->Stop();
  // Pauses the app's subscriptions, drains the events at the app (their acks still reach the
  // components), then closes the streams; what arrived meanwhile stays with the components.
  if (topic_delivery_) topic_delivery_->Stop(drain_timeout_);
  // Streaming subscriptions end now rather than hold the drain until its deadline.
  api_context_.subscriptions.CloseAll();
  if (dapr_api_) dapr_api_->CloseConfigurationSubscriptions();
  if (supervisor_) supervisor_->Stop();
  // gRPC's Shutdown waits for every connection to close, not just for the calls in flight: a
  // client holding an idle connection would hold shutdown for the whole drain timeout. So it
  // runs aside while this thread waits for the calls, then cuts the connections left.
  auto drain_deadline = std::chrono::steady_clock::now() + drain_timeout_;
  std::atomic<bool> shut_down{false};
  std::thread shutdown([&] {
    server_->Shutdown(std::chrono::system_clock::now() + drain_timeout_);
    shut_down = true;
  });
  Backoff poll(Backoff::Options{.initial = std::chrono::milliseconds(5),
                                .max = std::chrono::milliseconds(100)});
  while (!shut_down && MeteredUnaryReactor::InFlight() > 0 &&
         std::chrono::steady_clock::now() < drain_deadline) {
    std::this_thread::sleep_for(poll.NextDelay());
  }
  // Repeated until Shutdown returns, in case it had not begun when the calls were done.
  while (!shut_down) {
    grpc_server_cancel_all_calls(server_->c_server());
    std::this_thread::sleep_for(poll.NextDelay());
  }
  shutdown.join();
  server_.reset();
  PH_LOG_INFO("host", "stopped");
}

}  // namespace plughost
