// The host's configuration file (JSON) and the embedded defaults used without one.
//
//   {"app_id": "myapp",
//    "components": [{"name": "statestore", "type": "state.in-memory", "version": "v1",
//                    "metadata": {"keyPrefix": "none"}}]}
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"

namespace plughost {

// A metadata value a Dapr resource file takes from a secret store (`secretKeyRef`), resolved
// once the secret stores are initialised: secret `name` of `store`, entry `key` (`name` when
// `key` is empty).
struct SecretKeyRef {
  std::string store;
  std::string name;
  std::string key;
};

struct ComponentSpec {
  std::string name;
  std::string type;                             // "<kind prefix>.<impl>", e.g. "state.redis"
  std::string version;                          // "v1" when absent
  std::map<std::string, std::string> metadata;  // numbers and booleans are kept as text
  std::string field;  // where it was declared, for messages: "components[2]" or "a.yaml[1]"
  // The resource file that declared it; empty when it came from HostConfig::source.
  std::string source;
  // Metadata entries whose value comes from a secret store (resource files only).
  std::map<std::string, SecretKeyRef> secret_refs;
  // Dapr's spec.initTimeout; the host's --init-timeout when absent.
  std::optional<std::chrono::milliseconds> init_timeout;
  // Dapr's spec.ignoreErrors: an Init failure is logged and the host starts without it.
  bool ignore_errors = false;
};

// A routing rule of a subscription: a CEL-subset expression over the CloudEvent and the path
// the event goes to when it is true. The default route is the last rule, with an empty match.
struct RoutingRule {
  std::string match;
  std::string path;
};

struct BulkSubscribeSpec {
  bool enabled = false;
  int max_messages_count = 100;
  std::chrono::milliseconds max_await_duration{1000};
};

// A declarative subscription (Dapr's kind: Subscription, v1alpha1 or v2alpha1).
struct SubscriptionSpec {
  std::string name;
  std::string pubsub_name;
  std::string topic;
  std::vector<RoutingRule> rules;  // in order; the default route last, with an empty match
  std::string dead_letter_topic;
  BulkSubscribeSpec bulk;
  std::map<std::string, std::string> metadata;
  std::string field;                // where it was declared, for messages: "subs.yaml[0]"
  std::vector<std::string> scopes;  // empty: every app
};

// The subset of Dapr's Resiliency policies the host applies: a retry, a timeout and a circuit
// breaker.
struct RetryPolicySpec {
  enum class Policy { kConstant, kExponential };
  Policy policy = Policy::kConstant;
  std::chrono::milliseconds duration{5000};       // constant: the wait between attempts
  std::chrono::milliseconds max_interval{60000};  // exponential: the cap of one wait
  int max_retries = -1;                           // -1: unlimited; 0: no retry
};

// Dapr's circuitBreakers entry (daprd's defaults): opens when `trip` (a CEL expression over
// requests, totalSuccesses, totalFailures, consecutiveSuccesses, consecutiveFailures) is true
// after a failure; stays open `timeout`, then lets `max_requests` calls try (half-open).
struct CircuitBreakerSpec {
  std::string name;
  int max_requests = 1;
  std::chrono::milliseconds interval{0};  // clears the counts while closed; 0: never
  std::chrono::milliseconds timeout{60000};
  std::string trip = "consecutiveFailures > 5";
};

struct DeliveryPolicySpec {
  std::optional<std::chrono::milliseconds> timeout;   // none: no deadline, as in daprd
  std::optional<RetryPolicySpec> retry;               // none: one attempt
  std::optional<CircuitBreakerSpec> circuit_breaker;  // one per pubsub, shared by its subscriptions

  // Whether it names any policy at all (an empty one changes nothing).
  bool empty() const { return !timeout && !retry && !circuit_breaker; }
};

// Outbound (host to component) policies from Resiliency files: each call the app makes to a
// component runs under its component's (docs/resiliency.md).
struct OutboundPolicies {
  // By component name, for every component a target names, even with only `inbound` (daprd
  // then gives it no default outbound policy); a field a target leaves out means none.
  std::map<std::string, DeliveryPolicySpec> by_component;
  // Dapr's default policies by Dapr component type ("Statestore", "Pubsub", "Binding",
  // "Secretstore", "Configuration", "Lock"), for components no target names; only types with
  // at least one default are present.
  std::map<std::string, DeliveryPolicySpec> defaults_by_type;
};

// A component process the host launches and keeps running (plughost's own `processes`).
struct ProcessSpec {
  enum class Restart { kAlways, kOnFailure, kNever };
  std::string name;                  // its socket is <sockets-dir>/<name>.sock
  std::vector<std::string> command;  // argv; `{socket}` and `{sockets_dir}` expanded
  std::map<std::string, std::string> env;
  std::string workdir;  // empty: the host's working directory
  Restart restart = Restart::kAlways;
  std::string field;  // "processes[0]" or "procs.yaml[0]"
  // The resource file that declared it (kind: Process); empty when it came from the JSON config.
  std::string source;
};

struct HostConfig {
  std::string source;  // the file it came from, or "embedded defaults"
  std::string app_id;
  std::vector<ComponentSpec> components;
  std::vector<SubscriptionSpec> subscriptions;  // declarative, from resource files
  // Inbound (delivery to the app) policies by pubsub component name, from Resiliency files;
  // the entry "" applies to pubsubs without their own.
  std::map<std::string, DeliveryPolicySpec> pubsub_inbound_policies;
  OutboundPolicies outbound_policies;
  // metadata.name of every Resiliency document applied, in load order (GetMetadata lists them).
  std::vector<std::string> resiliency_names;
  std::vector<ProcessSpec> processes;
};

// Parses and validates `json_text`. Errors name `source_name`, the field (e.g.
// "components[1].type") and what is expected. Checks: valid JSON object; app_id a string;
// components an array of objects; name and type present non-empty strings; type of the form
// "<kind>.<impl>" with a known kind prefix; version a string; metadata an object of scalars;
// no two components with one name; no unknown top-level or component fields.
absl::StatusOr<HostConfig> ParseHostConfig(std::string_view json_text,
                                           std::string_view source_name);

// Parses one entry of a `processes` list (JSON, or YAML converted to JSON); `where` names it in
// messages ("processes[0]", "procs.yaml[1]"). The error lists every problem, one
// "<where>.<field>: <problem>" line each. Checks: an object of known fields; name a non-empty
// string usable as a socket file stem; command a non-empty array of strings; env an object of
// strings; workdir a string; restart "always" (default), "on-failure" or "never".
absl::StatusOr<ProcessSpec> ParseProcessSpec(const nlohmann::json& entry, std::string_view where);

// Reads and parses a file; an unreadable file is an error naming the path.
absl::StatusOr<HostConfig> LoadHostConfig(const std::string& path);

// The configuration used when no --config is given: one built-in instance of each kind.
HostConfig EmbeddedDefaults();

}  // namespace plughost
