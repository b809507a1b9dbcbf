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
#include <functional>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

#include "common/backoff.h"
#include "common/status_code_name.h"
#include "host/api/app_connection_properties.h"
#include "host/api/dapr_api.h"
#include "host/app_http/http_app_channel.h"
#include "host/components/binding_direction.h"
#include "host/api/layotto_api.h"
#include "host/api/metered_unary_reactor.h"
#include "host/state/state_keys.h"
#include "host/app_callback/app_deliveries.h"
#include "host/app_callback/app_health.h"
#include "host/app_callback/topic_delivery.h"
#include "host/builtins/builtins.h"
#include "host/components/binding_direction.h"
#include "host/components/secret_store.h"
#include "host/config/resource_files.h"
#include "host/runtime/component_metadata.h"
#include "host/common/log.h"
#include "host/discovery/discovery.h"
#include "host/http/dapr_http_api.h"
#include "host/http/http_server.h"
#include "host/discovery/folder_trust.h"
#include "host/discovery/socket_folder.h"
#include "host/lifecycle/component_supervisor.h"
#include "host/ops/metrics_interceptor.h"
#include "host/ops/ops_server.h"
#include "host/processes/process_supervisor.h"
#include "host/processes/spawn.h"
#include "host/resiliency/outbound_components.h"
#include "host/runtime/grpc_tcp_listener.h"
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
  std::string text = fmt::format(
      "Pluggable types come from socket file names: {}.{} needs {}/{}"
      ".sock serving a {} service (folder searched: {})",
      prefix, name, folder, name, prefix, folder);
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
    return absl::InvalidArgumentError("metadata.keyPrefix: " +
                                      std::string(prefix.status().message()));
  }
  info.key_prefix = std::move(*prefix);
  return absl::OkStatus();
}

std::string ProcessEnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

// Where a configured component was declared, for messages: "<file>: <field>" where `field` is
// the JSON path (components[1].type) or the resource file's document and YAML path.
std::string Location(const HostConfig& config, const ComponentSpec& spec,
                     std::string_view json_field, std::string_view yaml_field) {
  if (spec.source.empty()) return fmt::format("{}: {}{}", config.source, spec.field, json_field);
  return fmt::format("{}: {}: {}", spec.source, spec.field, yaml_field);
}

// An instance about to be created, and the configuration entry it came from (none for a
// socket no entry names).
struct PendingInstance {
  InstanceInfo info;
  const ComponentSpec* spec = nullptr;
};

// Wraps the instance's component in its outbound policy's decorator, when it has one: only an
// instance with a policy pays for it.
void ApplyOutboundPolicy(const OutboundPolicies& policies, InstanceInfo& info) {
  auto policy = OutboundPolicyOf(policies, info.kind, info.name);
  if (!policy) return;
  info.component = WithOutboundPolicy(info.kind, info.name, *policy, std::move(info.component));
  PH_LOG_INFO("host", "{} '{}': outbound resiliency policy applies to its calls",
              KindDisplayName(info.kind), info.name);
}

// Step 1: one instance per configuration entry (per side for bindings), then one per socket no
// entry uses, named after the socket.
std::optional<std::vector<PendingInstance>> PlanInstances(const FactoryRegistry& registry,
                                                          const HostConfig& config,
                                                          const HostOptions& options,
                                                          StartupError* error) {
  std::vector<PendingInstance> pending;
  std::set<std::string> configured_types;
  auto make_instance =
      [&](const ComponentFactory& factory, const std::string& name, const std::string& version,
          const std::map<std::string, std::string>& metadata, const ComponentSpec* spec) {
        PendingInstance instance;
        InstanceInfo& info = instance.info;
        info.name = name;
        info.type = factory.type();
        info.version = version;
        info.kind = factory.kind();
        info.source = factory.source();
        info.metadata = metadata;
        info.component = factory.Create(name);
        ApplyOutboundPolicy(config.outbound_policies, info);
        auto timeout = spec && spec->init_timeout ? *spec->init_timeout : options.init_timeout;
        info.init_spec = InitSpec{name, factory.type(), metadata, timeout};
        info.socket_path = factory.socket_path();
        instance.spec = spec;
        info.configured = spec != nullptr;
        return instance;
      };

  for (const auto& spec : config.components) {
    configured_types.insert(spec.type);
    auto factories = registry.FindByType(spec.type);
    if (factories.empty()) {
      std::string prefix, impl;
      SplitType(spec.type, &prefix, &impl);
      *error = {2,
                fmt::format("{}: unknown component type \"{}\"; known {} types: {}. {}",
                            Location(config, spec, ".type", "spec.type"), spec.type, prefix,
                            KnownTypes(registry, KindsForPrefix(prefix)),
                            ExplainMissingPluggable(registry, options.sockets_dir, prefix, impl))};
      for (const auto& process : config.processes) {
        if (process.name != impl) continue;
        error->message += fmt::format(
            " ({} launches '{}', which did not serve it within --init-timeout: see its log "
            "lines above)",
            process.field, impl);
      }
      return std::nullopt;
    }
    size_t created = 0;
    for (const auto* factory : factories) {
      // As Dapr: a binding's `direction` metadata decides which sides exist at all.
      bool is_binding = factory->kind() == ComponentKind::kInputBinding ||
                        factory->kind() == ComponentKind::kOutputBinding;
      if (is_binding && !BindingServesAs(spec.metadata, factory->kind())) continue;
      pending.push_back(make_instance(*factory, spec.name, spec.version, spec.metadata, &spec));
      ++created;
    }
    if (created == 0) {
      *error = {
          2, fmt::format("{}: names no side that {} serves (input, output)",
                         Location(config, spec, ".metadata.direction", "spec.metadata.direction"),
                         spec.type)};
      return std::nullopt;
    }
  }
  // A socket no configuration entry uses still serves: one instance named after the socket.
  for (const auto* factory : registry.All()) {
    if (factory->socket_path().empty() || configured_types.count(factory->type())) continue;
    std::string prefix, name;
    SplitType(factory->type(), &prefix, &name);
    pending.push_back(make_instance(*factory, name, "v1", {}, nullptr));
  }
  return pending;
}

// Step 2 (after secrets are resolved): daprd's metadata placeholders and consumerID, then
// per-kind settings such as the key prefix.
bool PrepareInstances(std::vector<PendingInstance>& pending, const HostConfig& config,
                      const MetadataContext& metadata_context, StartupError* error) {
  for (auto& [info, spec] : pending) {
    PrepareComponentMetadata(info.kind, metadata_context, &info.metadata);
    info.init_spec.metadata = info.metadata;
    if (auto status = PrepareInstance(info, config.app_id); !status.ok()) {
      *error = {2, fmt::format("{}: component '{}' {}",
                               spec && !spec->source.empty() ? spec->source : config.source,
                               info.name, std::string(status.message()))};
      return false;
    }
    if (info.kind == ComponentKind::kState && info.key_prefix.empty() && config.app_id.empty()) {
      PH_LOG_WARN("host",
                  "state store '{}': no app id (--app-id), so its keys carry no app "
                  "prefix; daprd would store them as '<app-id>||<key>'",
                  info.name);
    }
  }
  return true;
}

// Step 3: secretKeyRef values read from the (initialised) secret stores, as daprd does: the
// secret `name`, then its entry `key` (or `name` when `key` is empty). A missing store or a
// failed read stops startup (exit 2) unless the component has ignoreErrors, which drops it.
bool ResolveSecretRefs(std::vector<PendingInstance>& pending, const HostConfig& config,
                       const InstanceTable& instances, const HostOptions& options,
                       StartupError* error) {
  std::vector<PendingInstance> kept;
  for (auto& instance : pending) {
    const ComponentSpec* spec = instance.spec;
    std::string failure;
    for (const auto& [name, ref] :
         spec ? spec->secret_refs : std::map<std::string, SecretKeyRef>{}) {
      if (!failure.empty()) break;
      std::string where =
          Location(config, *spec, "", fmt::format("spec.metadata '{}'.secretKeyRef", name));
      auto store = instances.Find(ComponentKind::kSecretStore, ref.store);
      if (!store) {
        failure = fmt::format("{}: secret store '{}' (auth.secretStore) does not exist", where,
                              ref.store);
        break;
      }
      struct Read {
        absl::Mutex mutex;
        std::optional<grpc::Status> status ABSL_GUARDED_BY(mutex);
        secretspb::GetSecretResponse response ABSL_GUARDED_BY(mutex);
      };
      auto read = std::make_shared<Read>();
      secretspb::GetSecretRequest request;
      request.set_key(ref.name);
      CallOptions call_options;
      call_options.default_timeout = options.component_timeout;
      store->As<SecretStore>()->Get(
          request, call_options,
          [read](grpc::Status status, secretspb::GetSecretResponse response) {
            absl::MutexLock lock(&read->mutex);
            read->response = std::move(response);
            read->status = std::move(status);
          });
      absl::MutexLock lock(&read->mutex);
      auto done = [&read]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(read->mutex) {
        return read->status.has_value();
      };
      if (!read->mutex.AwaitWithTimeout(
              absl::Condition(&done),
              absl::FromChrono(options.component_timeout + std::chrono::seconds(1)))) {
        failure =
            fmt::format("{}: secret '{}' of '{}' did not come back", where, ref.name, ref.store);
      } else if (!read->status->ok()) {
        failure = fmt::format("{}: reading secret '{}' of '{}' failed: {} ({})", where, ref.name,
                              ref.store, read->status->error_message(),
                              StatusCodeName(read->status->error_code()));
      } else {
        const auto& data = read->response.data();
        auto entry = data.find(ref.key.empty() ? ref.name : ref.key);
        if (entry == data.end() || entry->second.empty()) {
          // As daprd: an empty or missing entry leaves the value unset.
          PH_LOG_WARN("host", "{}: secret '{}' of '{}' has no entry '{}'; left unset", where,
                      ref.name, ref.store, ref.key.empty() ? ref.name : ref.key);
        } else {
          instance.info.metadata[name] = entry->second;
        }
      }
    }
    if (failure.empty()) {
      kept.push_back(std::move(instance));
    } else if (spec->ignore_errors) {
      PH_LOG_WARN("host", "{}; component '{}' not created (spec.ignoreErrors)", failure,
                  instance.info.name);
    } else {
      *error = {2, failure};
      return false;
    }
  }
  pending = std::move(kept);
  return true;
}

// Step 4: every Init at once, each bounded by its own timeout (spec.initTimeout or
// --init-timeout); then the instances join the table. A failed Init stops startup unless the
// component has spec.ignoreErrors, as in daprd.
bool InitAndRegister(std::vector<PendingInstance>& pending, const HostOptions& options,
                     InstanceTable* instances, StartupError* error) {
  struct InitResults {
    absl::Mutex mutex;
    size_t remaining ABSL_GUARDED_BY(mutex) = 0;
    std::map<size_t, std::string> failures ABSL_GUARDED_BY(mutex);  // by index in `pending`
  };
  auto results = std::make_shared<InitResults>();
  std::chrono::milliseconds longest = options.init_timeout;
  {
    absl::MutexLock lock(&results->mutex);
    results->remaining = pending.size();
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    InstanceInfo& info = pending[i].info;
    longest = std::max(longest, info.init_spec.timeout);
    std::string label = fmt::format("{} '{}' ({}, {})", KindDisplayName(info.kind), info.name,
                                    info.type, info.source);
    info.component->Init(info.init_spec, [results, label, i](const grpc::Status& status) {
      absl::MutexLock lock(&results->mutex);
      if (!status.ok()) {
        results->failures[i] =
            fmt::format("{}: Init failed: {} ({})", label, status.error_message(),
                        StatusCodeName(status.error_code()));
      }
      --results->remaining;
    });
  }
  std::map<size_t, std::string> failures;
  {
    absl::MutexLock lock(&results->mutex);
    auto all_done = [&results]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(results->mutex) {
      return results->remaining == 0;
    };
    // Timeouts are enforced per call; the extra second only guards against a lost callback.
    bool done = results->mutex.AwaitWithTimeout(
        absl::Condition(&all_done), absl::FromChrono(longest + std::chrono::seconds(1)));
    failures = results->failures;
    if (!done) failures[pending.size()] = "some component Init calls never completed";
  }
  std::string message;
  for (const auto& [index, failure] : failures) {
    const ComponentSpec* spec = index < pending.size() ? pending[index].spec : nullptr;
    if (spec && spec->ignore_errors) {
      PH_LOG_WARN("host", "{}; going on without it (spec.ignoreErrors)", failure);
      continue;
    }
    if (index < pending.size() && spec == nullptr) {
      // A socket nobody configured is not the operator's component yet (a multi-kind process
      // serves kinds this app may not use): its refusal of an Init without metadata is no
      // reason to stop the host.
      PH_LOG_WARN("host",
                  "{}; no configuration entry names type '{}', so its Init had no metadata: "
                  "going on without it (name the type in the configuration to use it)",
                  failure, pending[index].info.type);
      continue;
    }
    message += "\n  " + failure;
  }
  if (!message.empty()) {
    *error = {1, "component initialisation failed:" + message};
    return false;
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    if (failures.count(i)) continue;
    InstanceInfo& info = pending[i].info;
    PH_LOG_INFO("host", "{} '{}' ready ({} from {}){}", KindDisplayName(info.kind), info.name,
                info.type, info.source,
                info.configured ? ""
                                : "; no configuration entry, so initialised without "
                                  "metadata (name its type in the config to give it some)");
    if (auto status = instances->Add(std::move(info)); !status.ok()) {
      *error = {2, std::string(status.message())};
      return false;
    }
  }
  return true;
}

AppHealthOptions AppHealthOptionsOf(const HostOptions& options) {
  AppHealthOptions health;
  health.interval = options.app_health_probe_interval;
  health.timeout = options.app_health_probe_timeout;
  health.threshold = options.app_health_threshold;
  return health;
}

AppConnectionSettings AppConnectionSettingsOf(const HostOptions& options) {
  AppConnectionSettings settings;
  settings.app_address = options.app_address;
  settings.protocol = options.app_protocol;
  settings.health_check = options.app_health_check;
  settings.health_check_path = options.app_health_check_path;
  settings.health = AppHealthOptionsOf(options);
  return settings;
}

}  // namespace

Host::~Host() {
  http_server_.reset();  // its replies come from calls into server_
  // First: their threads may call into deliveries_, which is destroyed before them.
  if (app_health_) app_health_->Stop();
  if (app_http_calls_.stop) app_http_calls_.stop();  // its callbacks need the servers below
  if (supervisor_) supervisor_->Stop();
  grpc_listener_.reset();
  if (server_) server_->Shutdown(std::chrono::system_clock::now());
  StopProcesses();  // last: calls still draining may need them
}

std::unique_ptr<Host> Host::Start(const HostOptions& options, StartupError* error) {
  std::unique_ptr<Host> host(new Host());
  host->drain_timeout_ = options.drain_timeout;
  if (!host->CheckSocketsDir(options, error) || !host->LoadConfig(options, error) ||
      !host->StartProcesses(options, error) || !host->BuildRegistry(options, error) ||
      !host->CreateInstances(options, error) || !host->StartServer(options, error)) {
    return nullptr;
  }
  // Created before the supervisor, which tells it about pubsubs that appear later; started
  // below, once everything else serves.
  TopicDeliveryOptions topic_options;
  topic_options.lag = &host->metrics_.subscription_lag();  // /metrics shows what is pending
  for (const auto& spec : host->config_.subscriptions) {
    topic_options.declarative.push_back(DeclaredSubscription(spec));
  }
  topic_options.inbound_policies = host->config_.pubsub_inbound_policies;
  DeliveryContext delivery_context;
  delivery_context.instances = host->api_context_.instances;
  delivery_context.app_channel = host->api_context_.app_channel;
  delivery_context.subscriptions = &host->api_context_.subscriptions;
  delivery_context.inbound_breakers = &host->api_context_.inbound_breakers;
  delivery_context.component_timeout = host->api_context_.component_timeout;
  host->deliveries_ = std::make_unique<AppDeliveries>(std::move(delivery_context), topic_options);
  host->StartSupervisor(options);
  if (!host->StartOpsServer(options, error)) return nullptr;
  if (!host->StartHttpServer(options, error)) return nullptr;
  // Input-binding events and pub/sub messages flow to the app once everything else serves
  // (no-op without an app); the app may list its topics only once it is up.
  host->StartAppDeliveries(options);
  if (!host->OpenGrpcPort(options, error)) return nullptr;
  return host;
}

bool Host::OpenGrpcPort(const HostOptions& options, StartupError* error) {
  if (!grpc_listener_) return true;  // a Unix socket address: gRPC listens itself
  std::string listen_error;
  if (!grpc_listener_->Start(std::move(grpc_tcp_acceptor_), &listen_error)) {
    *error = {1, fmt::format("cannot listen on {}: {}", options.grpc_address, listen_error)};
    return false;
  }
  return true;
}

bool Host::CheckSocketsDir(const HostOptions& options, StartupError* error) {
  struct stat st {};
  if (::stat(options.sockets_dir.c_str(), &st) != 0) {
    // Created private, so no other user can plant a socket in it; said once, so a typo in
    // --sockets-dir shows in the log rather than as a host without components.
    if (::mkdir(options.sockets_dir.c_str(), 0750) != 0 && errno != EEXIST) {
      PH_LOG_WARN("host",
                  "socket folder {} does not exist and cannot be created ({}); no "
                  "pluggable components until it exists",
                  options.sockets_dir, std::strerror(errno));
    } else {
      PH_LOG_INFO("host",
                  "socket folder {} did not exist: created it (mode 0750); no pluggable "
                  "components yet, sockets created there later are picked up",
                  options.sockets_dir);
    }
    return true;
  }
  if (!S_ISDIR(st.st_mode) || !(st.st_mode & S_IWOTH)) return true;
  if (options.allow_insecure_sockets_dir) {
    PH_LOG_WARN("host",
                "socket folder {} is writable by every user (mode {:04o}); accepted "
                "because of --allow-insecure-sockets-dir",
                options.sockets_dir, st.st_mode & 07777);
    return true;
  }
  // Dapr's injector gives the folder an emptyDir (mode 0777) that only this pod can reach.
  FolderTrust trust = JudgeWorldWritableFolder(options.sockets_dir);
  if (trust.pod_local) {
    PH_LOG_INFO("host",
                "socket folder {} is writable by every user (mode {:04o}) but is {}: "
                "accepted",
                options.sockets_dir, st.st_mode & 07777, trust.why);
    return true;
  }
  *error = {2,
            fmt::format("socket folder {} is writable by every user (mode {:04o}) and is not "
                        "a pod-local volume ({}): anyone could plant a component socket there. "
                        "Fix: chmod o-w {}, or pass --allow-insecure-sockets-dir",
                        options.sockets_dir, st.st_mode & 07777, trust.why, options.sockets_dir)};
  return false;
}

bool Host::LoadConfig(const HostOptions& options, StartupError* error) {
  if (!options.config_path.empty()) {
    auto loaded = LoadHostConfig(options.config_path);
    if (!loaded.ok()) {
      *error = {2, std::string(loaded.status().message())};
      return false;
    }
    config_ = std::move(*loaded);
  } else if (options.resources_paths.empty()) {
    config_ = EmbeddedDefaults();
  } else {
    config_.source = "resource files";  // as daprd: only the files' components
  }
  if (!options.app_id.empty()) config_.app_id = options.app_id;
  if (auto status = LoadResourceFolders(options.resources_paths, config_.app_id, &config_);
      !status.ok()) {
    *error = {2, std::string(status.message())};
    return false;
  }
  PH_LOG_INFO(
      "host", "configuration from {}{}: app id '{}', {} component(s), {} subscription(s)",
      config_.source,
      options.resources_paths.empty() || options.config_path.empty() ? "" : " and resource files",
      config_.app_id, config_.components.size(), config_.subscriptions.size());
  return true;
}

bool Host::StartProcesses(const HostOptions& options, StartupError* error) {
  if (config_.processes.empty()) return true;
  ProcessSupervisorOptions process_options;
  process_options.sockets_dir = options.sockets_dir;
  process_options.restart_backoff.max = options.restart_max_backoff;
  processes_ = std::make_unique<ProcessSupervisor>(config_.processes, process_options);
  for (const auto& spec : config_.processes) {
    std::string socket = processes_->SocketPathOf(spec.name);
    if (socket.size() >= 108) {  // sizeof(sockaddr_un::sun_path), with its terminating zero
      *error = {2, fmt::format("{}: {}.name: its socket path {} is longer than a Unix socket "
                               "path may be (107 bytes); use a shorter name or --sockets-dir",
                               config_.source, spec.field, socket)};
      processes_.reset();
      return false;
    }
    // A socket nobody serves any more (a child of a killed host) would fail discovery.
    if (RemoveStaleSocket(socket)) PH_LOG_INFO("processes", "removed stale socket {}", socket);
  }
  if (auto status = processes_->Start(); !status.ok()) {
    *error = {1, std::string(status.message())};
    processes_.reset();
    return false;
  }
  WaitForProcessSockets(options.init_timeout);
  return true;
}

// Discovery lists the socket folder once, so it runs after every launched process serves its
// socket, or after `limit` (a slow one joins later through hot-plug, unless the configuration
// names its type: then startup fails as for any missing type).
void Host::WaitForProcessSockets(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto waiting_for = [this] {
    std::vector<std::string> names;
    for (const auto& status : processes_->Snapshot()) {
      bool may_serve = status.state == ProcessStatus::State::kRunning ||
                       status.state == ProcessStatus::State::kRestarting;
      if (may_serve && !SocketAcceptsConnections(processes_->SocketPathOf(status.name))) {
        names.push_back(status.name);
      }
    }
    return names;
  };
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> missing = waiting_for();
  while (!missing.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    missing = waiting_for();
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  for (const auto& name : missing) {
    PH_LOG_WARN("processes",
                "process '{}' serves no socket at {} after {} ms; starting without "
                "it (it joins when it does)",
                name, processes_->SocketPathOf(name), waited.count());
  }
  if (missing.empty()) {
    PH_LOG_INFO("processes", "{} launched process(es) serve their sockets after {} ms",
                config_.processes.size(), waited.count());
  }
}

void Host::StopProcesses() {
  if (!processes_) return;
  // Kept (stopped) after this: the operator endpoints may still read their status.
  processes_->Stop(drain_timeout_);
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
  // Startup may go on without a silent socket only if no configured component needs its type,
  // and no launched process whose socket is up has yet to answer (it is waited for the same way).
  discovery_options.enough = [&](const std::vector<DiscoveredSocket>& found) {
    for (const auto& process : config_.processes) {
      if (!processes_ || !SocketAcceptsConnections(processes_->SocketPathOf(process.name)))
        continue;
      bool answered = false;
      for (const auto& socket : found) answered = answered || socket.name == process.name;
      if (!answered) return false;
    }
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
      PH_LOG_INFO("discovery",
                  "waiting up to {} ms for {} (named by the configuration): no "
                  "socket in {} serves it yet",
                  wait_limit.count(), names, options.sockets_dir);
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
  auto pending = PlanInstances(*registry_, config_, options, error);
  if (!pending) return false;
  // Secret stores first: other components' secretKeyRefs are read from them, as in daprd.
  std::vector<PendingInstance> secret_stores, others;
  for (auto& instance : *pending) {
    (instance.info.kind == ComponentKind::kSecretStore ? secret_stores : others)
        .push_back(std::move(instance));
  }
  for (const auto& store : secret_stores) {
    if (store.spec && !store.spec->secret_refs.empty()) {
      // daprd waits for the named store; plughost initialises every secret store first.
      *error = {2, fmt::format("{}: a secret store's metadata cannot come from a secretKeyRef "
                               "in plughost; give the value directly or through envRef",
                               Location(config_, *store.spec, ".metadata", "spec.metadata"))};
      return false;
    }
  }
  MetadataContext metadata_context = ProcessMetadataContext(config_.app_id);
  return PrepareInstances(secret_stores, config_, metadata_context, error) &&
         InitAndRegister(secret_stores, options, &instances_, error) &&
         ResolveSecretRefs(others, config_, instances_, options, error) &&
         PrepareInstances(others, config_, metadata_context, error) &&
         InitAndRegister(others, options, &instances_, error);
}

std::shared_ptr<AppChannel> Host::MakeAppChannel(const HostOptions& options) {
  std::string token = ProcessEnvOr("APP_API_TOKEN", "");
  if (options.app_protocol != "http") {
    return std::make_shared<AppChannel>(options.app_address, std::move(token));
  }
  HttpAppOptions http;
  http.address = options.app_address;
  http.app_id = config_.app_id;
  http.app_api_token = std::move(token);
  // Probed with OPTIONS: input bindings without a direction naming "input" (those are read
  // anyway), under their `route` metadata when they have one, as daprd does.
  http.input_bindings = [this] {
    std::vector<HttpInputBindingRoute> routes;
    for (const auto& instance : instances_.All()) {
      if (instance->kind != ComponentKind::kInputBinding ||
          BindingDirectionNames(instance->metadata, ComponentKind::kInputBinding)) {
        continue;
      }
      auto route = instance->metadata.find("route");
      routes.push_back({instance->name, route != instance->metadata.end() && !route->second.empty()
                                            ? route->second
                                            : instance->name});
    }
    return routes;
  };
  auto made = MakeHttpAppChannel(std::move(http));
  app_http_calls_ = std::move(made.calls);
  return std::move(made.channel);
}

void Host::StartAppDeliveries(const HostOptions& options) {
  // daprd asks an HTTP app for its configuration once it is healthy, before its deliveries.
  std::function<void()> load_app_config = app_http_calls_.load_app_config;
  if (!options.app_health_check || !api_context_.app_channel) {
    if (load_app_config) load_app_config();
    deliveries_->Start();
    return;
  }
  AppHealthProbe probe = GrpcAppHealthProbe(api_context_.app_channel);
  if (options.app_protocol == "http") {
    probe = [get = app_http_calls_.get, path = options.app_health_check_path](
                std::chrono::milliseconds timeout, std::function<void(bool)> done) {
      get(path, timeout,
          [done = std::move(done)](int status) { done(status >= 200 && status <= 299); });
    };
  }
  // On the monitor's thread: Pause waits for the events at the app (bounded by the drain).
  app_health_ = std::make_unique<AppHealthMonitor>(
      AppHealthOptionsOf(options), std::move(probe),
      [deliveries = deliveries_.get(), drain = drain_timeout_,
       load_app_config = std::move(load_app_config)](bool healthy) mutable {
        if (healthy) {
          if (load_app_config) std::exchange(load_app_config, nullptr)();  // the first time only
          deliveries->Start();
        } else {
          deliveries->Pause(drain);
        }
      });
  app_health_->Start();
}

bool Host::StartServer(const HostOptions& options, StartupError* error) {
  api_context_.instances = &instances_;
  api_context_.metrics = &metrics_;  // unary calls; the interceptor below records streams
  api_context_.app_id = config_.app_id;
  api_context_.runtime_version = PLUGHOST_VERSION;
  api_context_.request_shutdown = [this] { RequestShutdown(); };
  if (processes_) {
    api_context_.host_metadata = [processes = processes_.get()] {
      std::map<std::string, std::string> entries;
      for (const auto& status : processes->Snapshot()) {
        entries["plughost.process." + status.name] = Describe(status);
      }
      return entries;
    };
  }
  api_context_.api_token = options.api_token;
  api_context_.max_concurrent_calls = options.max_concurrent_calls;
  api_context_.component_timeout = options.component_timeout;
  api_context_.pubsub_inbound_policies = config_.pubsub_inbound_policies;
  if (!options.app_address.empty()) api_context_.app_channel = MakeAppChannel(options);
  api_context_.app_connection = AppConnectionPropertiesFor(AppConnectionSettingsOf(options));
  api_context_.resiliency_names = config_.resiliency_names;
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
  if (listen->is_unix) {
    builder.AddListeningPort(listen->grpc_target, grpc::InsecureServerCredentials());
  } else {
    // TCP connections come through the host's own accept loop (see grpc_tcp_listener.h).
    std::string bind_error;
    grpc_listener_ = GrpcTcpListener::Bind(
        listen->host, listen->port, static_cast<size_t>(options.max_connections), &bind_error);
    if (!grpc_listener_) {
      *error = {1, fmt::format("cannot listen on {}: {}", options.grpc_address, bind_error)};
      return false;
    }
    selected_port = grpc_listener_->port();
    grpc_tcp_acceptor_ = builder.experimental().AddExternalConnectionAcceptor(
        grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
        grpc::InsecureServerCredentials());
  }
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
    grpc_listener_.reset();
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
  // deliveries_ exists before the supervisor starts and outlives it (~Host stops it first).
  supervisor_options.instance_added = [delivery = deliveries_.get()](ComponentKind kind,
                                                                     const std::string& name) {
    delivery->InstanceAdded(kind, name);
  };
  supervisor_options.prepare_instance = [app_id, context = ProcessMetadataContext(app_id),
                                         outbound = config_.outbound_policies](InstanceInfo& info) {
    // A hot-plugged instance runs under its outbound policy too (before its Init).
    ApplyOutboundPolicy(outbound, info);
    // A hot-plugged pubsub gets its consumerID too, as every pubsub does.
    PrepareComponentMetadata(info.kind, context, &info.metadata);
    info.init_spec.metadata = info.metadata;
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
  if (processes_) {
    sources.processes = [processes = processes_.get()] { return processes->Snapshot(); };
  }
  auto server = OpsServer::Start(options.ops_address, std::move(sources));
  if (!server.ok()) {
    if (options.ops_address_explicit) {
      *error = {
          1, fmt::format("--ops-address {}: {}", options.ops_address, server.status().message())};
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

bool Host::StartHttpServer(const HostOptions& options, StartupError* error) {
  std::string address = options.http_address;
  // As daprd's SDKs expect: DAPR_HTTP_PORT names the port when no address was given.
  if (!options.http_address_explicit) {
    if (const char* port = std::getenv("DAPR_HTTP_PORT"); port && *port) {
      address = fmt::format("127.0.0.1:{}", port);
    }
  }
  if (address.empty() || address == "off") return true;
  DaprHttpApiOptions api_options;
  api_options.api_token = options.api_token;
  api_options.app_id = config_.app_id;
  api_options.has_app = !options.app_address.empty();
  api_options.post_to_app = app_http_calls_.post_json;
  dapr_http_api_ = std::make_unique<DaprHttpApi>(
      server_->InProcessChannel(grpc::ChannelArguments()), std::move(api_options));
  HttpServerOptions server_options;
  server_options.max_body_bytes = static_cast<size_t>(options.max_message_bytes);
  server_options.max_connections =
      options.max_connections > 0 ? static_cast<size_t>(options.max_connections) : SIZE_MAX;
  auto server =
      HttpServer::Start(address, server_options,
                        [api = dapr_http_api_.get()](HttpRequest&& request, HttpReply reply) {
                          api->Handle(std::move(request), std::move(reply));
                        });
  if (!server.ok()) {
    if (options.http_address_explicit) {
      *error = {1, fmt::format("--http-address {}: {}", address, server.status().message())};
      return false;
    }
    PH_LOG_ERROR("host", "Dapr HTTP API disabled: {} (choose one with --http-address)",
                 server.status().message());
    return true;
  }
  http_server_ = std::move(*server);
  PH_LOG_INFO("host", "Dapr HTTP API on http://{}", http_server_->address());
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
  if (app_health_) app_health_->Stop();  // no pause or restart of deliveries from here on
  // Pauses the app's subscriptions, drains the events at the app (their acks still reach the
  // components), then closes the streams; what arrived meanwhile stays with the components.
  if (deliveries_) deliveries_->Stop(drain_timeout_);
  // Nothing more goes to the app: configuration updates still at it end now, before the
  // streams they belong to close.
  if (app_http_calls_.stop) app_http_calls_.stop();
  // Streaming subscriptions end now rather than hold the drain until its deadline.
  api_context_.subscriptions.CloseAll();
  if (dapr_api_) dapr_api_->CloseConfigurationSubscriptions();
  if (layotto_api_) layotto_api_->CloseConfigurationSubscriptions();
  if (supervisor_) supervisor_->Stop();
  grpc_listener_.reset();  // no new connections while the calls in flight drain
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
  // After the drain: HTTP calls in flight got their answers; later ones were refused.
  http_server_.reset();
  server_.reset();
  // After the drain: the calls in flight needed their components.
  StopProcesses();
  PH_LOG_INFO("host", "stopped");
}

}  // namespace plughost
