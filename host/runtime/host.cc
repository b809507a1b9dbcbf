#include "host/runtime/host.h"

#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <cstdlib>
#include <set>

#include "host/api/dapr_api.h"
#include "host/api/layotto_api.h"
#include "host/api/state_keys.h"
#include "host/builtins/builtins.h"
#include "host/common/log.h"
#include "host/discovery/discovery.h"
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

std::string ProcessEnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

}  // namespace

Host::~Host() {
  if (server_) server_->Shutdown(std::chrono::system_clock::now());
}

std::unique_ptr<Host> Host::Start(const HostOptions& options, StartupError* error) {
  std::unique_ptr<Host> host(new Host());
  host->drain_timeout_ = options.drain_timeout;
  if (!host->LoadConfig(options, error) || !host->BuildRegistry(options, error) ||
      !host->CreateInstances(options, error) || !host->StartServer(options, error)) {
    return nullptr;
  }
  return host;
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
  auto discovered = DiscoverComponents(discovery_options);
  PH_LOG_INFO("discovery", "{}: {} component socket(s), {} skipped, in {} ms",
              options.sockets_dir, discovered.components.size(), discovered.skipped.size(),
              discovered.elapsed.count());
  if (auto status = RegisterDiscovered(builder, discovered.components); !status.ok()) {
    *error = {2, std::string(status.message())};
    return false;
  }
  registry_ = std::make_unique<FactoryRegistry>(std::move(builder).Build());
  return true;
}

bool Host::CreateInstances(const HostOptions& options, StartupError* error) {
  struct Pending {
    InstanceInfo info;
    InitSpec spec;
  };
  std::vector<Pending> pending;
  std::set<std::string> configured_types;

  for (const auto& spec : config_.components) {
    configured_types.insert(spec.type);
    auto factories = registry_->FindByType(spec.type);
    if (factories.empty()) {
      std::string prefix, impl;
      SplitType(spec.type, &prefix, &impl);
      *error = {2, fmt::format("{}: {}.type: unknown component type \"{}\"; known {} types: {}",
                               config_.source, spec.field, spec.type, prefix,
                               KnownTypes(*registry_, KindsForPrefix(prefix)))};
      return false;
    }
    for (const auto* factory : factories) {
      pending.push_back({InstanceInfo{spec.name, spec.type, spec.version, factory->kind(),
                                      factory->source(), spec.metadata, "",
                                      factory->Create(spec.name)},
                         InitSpec{spec.name, spec.type, spec.metadata, options.init_timeout}});
    }
  }
  // A socket no configuration entry uses still serves: one instance named after the socket.
  for (const auto* factory : registry_->All()) {
    if (factory->source() == "built-in" || configured_types.count(factory->type())) continue;
    std::string prefix, name;
    SplitType(factory->type(), &prefix, &name);
    pending.push_back({InstanceInfo{name, factory->type(), "v1", factory->kind(),
                                    factory->source(), {}, "", factory->Create(name)},
                       InitSpec{name, factory->type(), {}, options.init_timeout}});
  }

  for (auto& p : pending) {
    if (p.info.kind == ComponentKind::kState) {
      auto prefix = StateKeyPrefix(p.info.metadata, p.info.name, config_.app_id);
      if (!prefix.ok()) {
        *error = {2, fmt::format("{}: component '{}' metadata.keyPrefix: {}", config_.source,
                                 p.info.name, std::string(prefix.status().message()))};
        return false;
      }
      p.info.key_prefix = std::move(*prefix);
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
  for (auto& p : pending) {
    std::string label = fmt::format("{} '{}' ({}, {})", KindDisplayName(p.info.kind),
                                    p.info.name, p.info.type, p.info.source);
    p.info.component->Init(p.spec, [results, label](grpc::Status status) {
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

  for (auto& p : pending) {
    PH_LOG_INFO("host", "{} '{}' ready ({} from {})", KindDisplayName(p.info.kind), p.info.name,
                p.info.type, p.info.source);
    if (auto status = instances_.Add(std::move(p.info)); !status.ok()) {
      *error = {2, std::string(status.message())};
      return false;
    }
  }
  return true;
}

bool Host::StartServer(const HostOptions& options, StartupError* error) {
  api_context_.instances = &instances_;
  api_context_.app_id = config_.app_id;
  api_context_.runtime_version = PLUGHOST_VERSION;
  api_context_.request_shutdown = [this] { RequestShutdown(); };
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
  int selected_port = 0;
  builder.AddListeningPort(listen->grpc_target, grpc::InsecureServerCredentials(),
                           listen->is_unix ? nullptr : &selected_port);
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
  server_->Shutdown(std::chrono::system_clock::now() + drain_timeout_);
  server_.reset();
  PH_LOG_INFO("host", "stopped");
}

}  // namespace plughost
