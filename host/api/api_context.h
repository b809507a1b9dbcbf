// What the app-facing API services share: the instance table, the app's identity, the
// metadata apps set at runtime, and a way to ask the host to shut down.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <string_view>

#include "host/app_callback/app_channel.h"
#include "host/app_callback/delivery_support.h"
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include "dapr/proto/runtime/v1/dapr.pb.h"
#include "host/app_callback/active_subscriptions.h"
#include "host/api/metered_unary_reactor.h"
#include "host/config/host_config.h"
#include "host/registry/instance_table.h"

namespace plughost {

class ExtendedMetadata {
 public:
  void Set(const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    values_[key] = value;
  }
  std::map<std::string, std::string> Snapshot() const {
    std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> values_;
};

struct ApiContext;
class Metrics;

// UNAUTHENTICATED unless the call carries the configured API token (OK when none is set).
grpc::Status Authorize(const ApiContext& context, const grpc::CallbackServerContext* call);

// The instance of `kind` named `name`, ready to take one more call, or nullptr with the error
// the app gets: the API token is missing or wrong (UNAUTHENTICATED); no instance of the kind
// (FAILED_PRECONDITION) or none by that name (INVALID_ARGUMENT), in Dapr's words; the instance
// is down or recovering (UNAVAILABLE, naming it); too many calls in flight (RESOURCE_EXHAUSTED).
// The returned pointer holds the instance's in-flight slot until the last copy is gone, so
// keep it in the completion callback.
// `wording`, when given, replaces the two lookup errors with a building block's own words
// (Dapr words them differently for secret and configuration stores, Layotto for its own API).
struct LookupWording {
  grpc::Status (*not_configured)(std::string_view name);
  grpc::Status (*not_found)(std::string_view name);
};
InstancePtr ResolveInstance(const ApiContext& context, const grpc::CallbackServerContext* call,
                            ComponentKind kind, const std::string& name, grpc::Status* error,
                            const LookupWording* wording = nullptr);

// ResolveInstance for a unary handler, whose every call begins with it: the instance, or
// nullptr once `reactor` has been finished with the error the app gets.
InstancePtr ResolveOrFinish(const ApiContext& context, grpc::CallbackServerContext* call,
                            MeteredUnaryReactor* reactor, ComponentKind kind,
                            const std::string& name, const LookupWording* wording = nullptr);

struct ApiContext {
  InstanceTable* instances = nullptr;
  // Where unary calls are recorded (MeteredUnaryReactor); null records nothing.
  Metrics* metrics = nullptr;
  std::string app_id;
  std::string runtime_version;
  // Bound on every component call the app did not bound more tightly itself.
  std::chrono::milliseconds component_timeout{std::chrono::seconds(30)};
  ExtendedMetadata extended_metadata;
  // The app's callback server, when --app-address was given; null otherwise.
  std::shared_ptr<AppChannel> app_channel;
  // How the host reaches the app, as GetMetadata reports it (AppConnectionPropertiesFor).
  dapr::proto::runtime::v1::AppConnectionProperties app_connection;
  // The Resiliency documents applied, by name, as GetMetadata lists them.
  std::vector<std::string> resiliency_names;
  // Pub/sub subscriptions delivering to the app right now (GetMetadata lists them).
  ActiveSubscriptions subscriptions;
  // Inbound delivery policies by pubsub name ("" for every other pubsub); streaming
  // subscriptions retry and time out under them.
  std::map<std::string, DeliveryPolicySpec> pubsub_inbound_policies;
  // Their circuit breakers, one per pubsub, shared by the app callback's deliveries and
  // streaming subscriptions.
  delivery::InboundBreakers inbound_breakers;
  // When set, every API call must carry it as "dapr-api-token" metadata (DAPR_API_TOKEN).
  std::string api_token;
  // Calls allowed in flight per component instance; 0 = unlimited.
  int64_t max_concurrent_calls = 0;
  // Updates a configuration subscription may hold for an app that does not read; one more ends
  // the stream with RESOURCE_EXHAUSTED (docs/limits.md).
  size_t max_pending_configuration_updates = 1000;
  // Called (once, from a gRPC thread) when an app calls Shutdown; must not block.
  std::function<void()> request_shutdown;
  // Entries GetMetadata adds to extended_metadata, computed on each call (the processes the
  // host launched and their state); unset adds none. Must not block.
  std::function<std::map<std::string, std::string>()> host_metadata;
};

}  // namespace plughost
