#include "host/config/resource_files.h"

#include <dirent.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "host/common/log.h"
#include "host/components/kind.h"

namespace plughost {
namespace {

constexpr std::string_view kComponentApi = "dapr.io/v1alpha1";
constexpr std::string_view kProcessApi = "plughost.io/v1alpha1";

// Where a problem is: "<file>: document <n>: <field>: <problem>".
class DocumentErrors {
 public:
  DocumentErrors(const std::string& file, size_t index) : file_(file), index_(index) {}

  void Add(const std::string& field, const std::string& problem) {
    lines_.push_back(field.empty()
                         ? fmt::format("{}: document {}: {}", file_, index_, problem)
                         : fmt::format("{}: document {}: {}: {}", file_, index_, field, problem));
  }
  bool empty() const { return lines_.empty(); }
  std::vector<std::string>& lines() { return lines_; }

 private:
  const std::string& file_;
  size_t index_;
  std::vector<std::string> lines_;
};

// A mapping's entry, or a null node when the parent is no mapping or lacks the key (yaml-cpp
// throws when a missing entry is inspected further).
YAML::Node Child(const YAML::Node& parent, const char* key) {
  if (!parent.IsDefined() || !parent.IsMap()) return YAML::Node();
  YAML::Node child = parent[key];
  return child.IsDefined() ? child : YAML::Node();
}

bool Has(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return fmt::format("\"{}\"", node.Scalar());
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined value";
  }
}

// A scalar field as text; "" and no error when absent and optional.
bool ReadString(const YAML::Node& parent, const char* key, const std::string& field, bool required,
                DocumentErrors& errors, std::string* out) {
  YAML::Node node = Child(parent, key);
  if (!node.IsDefined() || node.IsNull()) {
    if (required) errors.Add(field, "required, a non-empty string");
    return !required;
  }
  if (!node.IsScalar()) {
    errors.Add(field, "expected a string, got " + Describe(node));
    return false;
  }
  *out = node.Scalar();
  if (required && out->empty()) {
    errors.Add(field, "required, a non-empty string");
    return false;
  }
  return true;
}

bool ReadBool(const YAML::Node& parent, const char* key, const std::string& field,
              DocumentErrors& errors, bool* out) {
  YAML::Node node = Child(parent, key);
  if (!node.IsDefined() || node.IsNull()) return true;
  if (node.IsScalar()) {
    std::string text = node.Scalar();
    std::transform(text.begin(), text.end(), text.begin(), ::tolower);
    if (text == "true" || text == "false") {
      *out = text == "true";
      return true;
    }
  }
  errors.Add(field, "expected true or false, got " + Describe(node));
  return false;
}

bool ReadInt(const YAML::Node& parent, const char* key, const std::string& field,
             DocumentErrors& errors, long long min, long long* out) {
  YAML::Node node = Child(parent, key);
  if (!node.IsDefined() || node.IsNull()) return true;
  if (node.IsScalar()) {
    char* end = nullptr;
    long long value = std::strtoll(node.Scalar().c_str(), &end, 10);
    if (!node.Scalar().empty() && *end == '\0' && value >= min) {
      *out = value;
      return true;
    }
  }
  errors.Add(field,
             fmt::format("expected a whole number of at least {}, got {}", min, Describe(node)));
  return false;
}

// JSON text of a YAML value, for metadata values given as numbers, booleans or objects (Dapr
// keeps their JSON text; a string is taken as it is).
nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) object[entry.first.Scalar()] = ToJson(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(ToJson(item));
      return array;
    }
    case YAML::NodeType::Scalar: {
      if (node.Tag() == "!") return node.Scalar();  // quoted: a string
      const std::string& text = node.Scalar();
      if (text == "true" || text == "false") return text == "true";
      char* end = nullptr;
      long long integer = std::strtoll(text.c_str(), &end, 10);
      if (!text.empty() && *end == '\0') return integer;
      double number = std::strtod(text.c_str(), &end);
      if (!text.empty() && *end == '\0') return number;
      return text;
    }
    default:
      return nullptr;
  }
}

std::string ValueText(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  return ToJson(node).dump();
}

// The names a resource may have: one path segment, as daprd requires.
bool ValidName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         std::none_of(name.begin(), name.end(), [](unsigned char c) {
           return c == '/' || c == '\\' || c <= 0x20 || c == 0x7F;
         });
}

// True when the document applies to `app_id` (no scopes, or the app id among them).
bool InScope(const YAML::Node& document, const std::string& app_id, DocumentErrors& errors,
             std::vector<std::string>* scopes_out = nullptr) {
  YAML::Node scopes = Child(document, "scopes");
  if (!scopes.IsDefined() || scopes.IsNull()) return true;
  if (!scopes.IsSequence()) {
    errors.Add("scopes", "expected a list of app ids, got " + Describe(scopes));
    return false;
  }
  bool found = scopes.size() == 0;
  for (size_t i = 0; i < scopes.size(); ++i) {
    if (!scopes[i].IsScalar()) {
      errors.Add(fmt::format("scopes[{}]", i), "expected an app id, got " + Describe(scopes[i]));
      return false;
    }
    if (scopes_out) scopes_out->push_back(scopes[i].Scalar());
    found = found || scopes[i].Scalar() == app_id;
  }
  return found;
}

std::string ReadName(const YAML::Node& document, DocumentErrors& errors) {
  std::string name;
  YAML::Node metadata = Child(document, "metadata");
  if (!metadata.IsMap()) {
    errors.Add("metadata.name", "required, a non-empty string");
    return name;
  }
  if (ReadString(metadata, "name", "metadata.name", true, errors, &name) && !ValidName(name)) {
    errors.Add("metadata.name", fmt::format("\"{}\" is not a valid name (one path segment, no "
                                            "spaces)",
                                            name));
  }
  return name;
}

// envRef: the value of one of the host's environment variables, with daprd's refusals.
void ReadEnvRef(const std::string& variable, const std::string& field, DocumentErrors& errors,
                std::string* out) {
  if (variable == "APP_API_TOKEN" || variable.rfind("DAPR_", 0) == 0 ||
      variable.find(' ') != std::string::npos) {
    errors.Add(field, fmt::format("\"{}\" may not be read (APP_API_TOKEN, DAPR_* and names "
                                  "with spaces are refused, as daprd does)",
                                  variable));
    return;
  }
  const char* value = std::getenv(variable.c_str());
  *out = value ? value : "";
}

void ParseComponentMetadata(const YAML::Node& items, const std::string& secret_store,
                            DocumentErrors& errors, ComponentSpec& spec) {
  if (!items.IsDefined() || items.IsNull()) return;
  if (!items.IsSequence()) {
    errors.Add("spec.metadata", "expected a list of {name, value} items, got " + Describe(items));
    return;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    std::string field = fmt::format("spec.metadata[{}]", i);
    const YAML::Node& item = items[i];
    if (!item.IsMap()) {
      errors.Add(field, "expected {name, value} or {name, secretKeyRef}, got " + Describe(item));
      continue;
    }
    std::string name;
    if (!ReadString(item, "name", field + ".name", true, errors, &name)) continue;
    if (spec.metadata.count(name) || spec.secret_refs.count(name)) {
      errors.Add(field + ".name", fmt::format("\"{}\" appears more than once", name));
      continue;
    }
    YAML::Node value = Child(item, "value");
    YAML::Node secret = Child(item, "secretKeyRef");
    YAML::Node env = Child(item, "envRef");
    if (secret.IsDefined() && !secret.IsNull()) {
      if (!secret.IsMap()) {
        errors.Add(field + ".secretKeyRef", "expected {name, key}, got " + Describe(secret));
        continue;
      }
      SecretKeyRef ref;
      ref.store = secret_store;
      if (!ReadString(secret, "name", field + ".secretKeyRef.name", true, errors, &ref.name) ||
          !ReadString(secret, "key", field + ".secretKeyRef.key", false, errors, &ref.key)) {
        continue;
      }
      if (ref.store.empty()) {
        errors.Add(field + ".secretKeyRef",
                   "needs auth.secretStore: the secret store to read it from");
        continue;
      }
      spec.secret_refs[name] = std::move(ref);
    } else if (value.IsDefined() && !value.IsNull()) {
      spec.metadata[name] = ValueText(value);
    } else if (env.IsDefined() && !env.IsNull()) {
      if (!env.IsScalar()) {
        errors.Add(field + ".envRef", "expected a variable name, got " + Describe(env));
        continue;
      }
      ReadEnvRef(env.Scalar(), field + ".envRef", errors, &spec.metadata[name]);
    } else {
      spec.metadata[name] = "";  // as daprd: a name without a value is an empty value
    }
  }
}

// Returns false (with a log line) for a type the host has no kind for, e.g. middleware.
bool ParseComponent(const YAML::Node& document, const std::string& file, size_t index,
                    DocumentErrors& errors, ComponentSpec& spec) {
  spec.name = ReadName(document, errors);
  spec.source = file;
  spec.field = fmt::format("document {}", index);
  YAML::Node body = Child(document, "spec");
  if (!body.IsMap()) {
    errors.Add("spec", "required, a mapping with type, version and metadata");
    return true;
  }
  if (!ReadString(body, "type", "spec.type", true, errors, &spec.type)) return true;
  std::string prefix, impl;
  if (!SplitType(spec.type, &prefix, &impl)) {
    errors.Add("spec.type", fmt::format("expected \"<kind>.<name>\" such as \"state.redis\", got "
                                        "\"{}\"",
                                        spec.type));
    return true;
  }
  if (KindsForPrefix(prefix).empty()) {
    PH_LOG_INFO("config",
                "{}: document {}: component '{}' of type {} skipped: plughost serves "
                "no {} components",
                file, index, spec.name, spec.type, prefix);
    return false;
  }
  ReadString(body, "version", "spec.version", false, errors, &spec.version);
  if (spec.version.empty() || spec.version == "v0") spec.version = "v1";
  std::string timeout;
  if (ReadString(body, "initTimeout", "spec.initTimeout", false, errors, &timeout) &&
      !timeout.empty()) {
    std::chrono::milliseconds ms;
    if (ParseGoDuration(timeout, &ms) && ms.count() > 0) {
      spec.init_timeout = ms;
    } else {
      errors.Add(
          "spec.initTimeout",
          fmt::format("expected a duration such as \"5s\" or \"500ms\", got \"{}\"", timeout));
    }
  }
  ReadBool(body, "ignoreErrors", "spec.ignoreErrors", errors, &spec.ignore_errors);
  std::string secret_store;
  YAML::Node auth = Child(document, "auth");
  if (auth.IsDefined() && !auth.IsNull()) {
    if (auth.IsMap()) {
      ReadString(auth, "secretStore", "auth.secretStore", false, errors, &secret_store);
    } else {
      errors.Add("auth", "expected {secretStore: <name>}, got " + Describe(auth));
    }
  }
  ParseComponentMetadata(Child(body, "metadata"), secret_store, errors, spec);
  return true;
}

void ParseSubscription(const YAML::Node& document, const std::string& api_version,
                       const std::string& file, size_t index, DocumentErrors& errors,
                       SubscriptionSpec& spec) {
  spec.name = ReadName(document, errors);
  spec.field = fmt::format("{}[{}]", file, index);
  YAML::Node body = Child(document, "spec");
  if (!body.IsMap()) {
    errors.Add("spec", "required, a mapping with pubsubname, topic and routes");
    return;
  }
  ReadString(body, "pubsubname", "spec.pubsubname", true, errors, &spec.pubsub_name);
  ReadString(body, "topic", "spec.topic", true, errors, &spec.topic);
  ReadString(body, "deadLetterTopic", "spec.deadLetterTopic", false, errors,
             &spec.dead_letter_topic);
  std::string default_path;
  if (api_version == "dapr.io/v1alpha1") {
    ReadString(body, "route", "spec.route", true, errors, &default_path);
  } else {
    YAML::Node routes = Child(body, "routes");
    if (!routes.IsMap()) {
      errors.Add("spec.routes", "required, {rules: [{match, path}], default: <path>}");
    } else {
      ReadString(routes, "default", "spec.routes.default", false, errors, &default_path);
      YAML::Node rules = Child(routes, "rules");
      if (rules.IsDefined() && !rules.IsNull() && !rules.IsSequence()) {
        errors.Add("spec.routes.rules", "expected a list of {match, path}, got " + Describe(rules));
      } else if (rules.IsSequence()) {
        for (size_t i = 0; i < rules.size(); ++i) {
          std::string field = fmt::format("spec.routes.rules[{}]", i);
          RoutingRule rule;
          if (!rules[i].IsMap()) {
            errors.Add(field, "expected {match, path}, got " + Describe(rules[i]));
            continue;
          }
          ReadString(rules[i], "match", field + ".match", true, errors, &rule.match);
          ReadString(rules[i], "path", field + ".path", true, errors, &rule.path);
          spec.rules.push_back(std::move(rule));
        }
      }
      if (default_path.empty() && spec.rules.empty()) {
        errors.Add("spec.routes", "needs a default path or at least one rule");
      }
    }
  }
  if (!default_path.empty()) spec.rules.push_back({"", default_path});
  YAML::Node metadata = Child(body, "metadata");
  if (metadata.IsMap()) {
    for (const auto& entry : metadata)
      spec.metadata[entry.first.Scalar()] = ValueText(entry.second);
  } else if (metadata.IsDefined() && !metadata.IsNull()) {
    errors.Add("spec.metadata", "expected a mapping of names to values, got " + Describe(metadata));
  }
  YAML::Node bulk = Child(body, "bulkSubscribe");
  if (bulk.IsMap()) {
    long long count = spec.bulk.max_messages_count;
    long long await = spec.bulk.max_await_duration.count();
    ReadBool(bulk, "enabled", "spec.bulkSubscribe.enabled", errors, &spec.bulk.enabled);
    ReadInt(bulk, "maxMessagesCount", "spec.bulkSubscribe.maxMessagesCount", errors, 1, &count);
    ReadInt(bulk, "maxAwaitDurationMs", "spec.bulkSubscribe.maxAwaitDurationMs", errors, 0, &await);
    spec.bulk.max_messages_count = static_cast<int>(std::min(count, 1LL << 20));
    spec.bulk.max_await_duration = std::chrono::milliseconds(await);
  } else if (bulk.IsDefined() && !bulk.IsNull()) {
    errors.Add("spec.bulkSubscribe",
               "expected {enabled, maxMessagesCount, maxAwaitDurationMs}, "
               "got " +
                   Describe(bulk));
  }
}

// A Dapr duration: Go syntax, or plain digits as milliseconds (Resiliency timeouts allow it).
bool ParseResiliencyDuration(const YAML::Node& node, std::chrono::milliseconds* out) {
  if (!node.IsScalar()) return false;
  const std::string& text = node.Scalar();
  char* end = nullptr;
  long long ms = std::strtoll(text.c_str(), &end, 10);
  if (!text.empty() && *end == '\0' && ms >= 0) {
    *out = std::chrono::milliseconds(ms);
    return true;
  }
  return ParseGoDuration(text, out);
}

// The subset of kind: Resiliency the host applies: timeouts, retries and circuit breakers of
// pubsub inbound targets (and DefaultPubsubComponentInbound* policies) into
// `config->pubsub_inbound_policies`, and of every component's outbound target (and the
// Default<Type>ComponentOutbound* policies) into `config->outbound_policies`. Returns a reason
// when it skips the document (a policy it cannot read); a target naming a policy the document
// does not define is an error in `errors`, naming the field.
std::string ParseResiliency(const YAML::Node& document, HostConfig* config,
                            DocumentErrors& errors) {
  YAML::Node policies_node = Child(Child(document, "spec"), "policies");
  if (!policies_node.IsMap()) return "no spec.policies";
  std::map<std::string, std::chrono::milliseconds> timeouts;
  std::map<std::string, RetryPolicySpec> retries;
  for (const auto& entry : Child(policies_node, "timeouts")) {
    std::chrono::milliseconds ms;
    if (!ParseResiliencyDuration(entry.second, &ms)) {
      return fmt::format("timeout '{}' is not a duration", entry.first.Scalar());
    }
    timeouts[entry.first.Scalar()] = ms;
  }
  for (const auto& entry : Child(policies_node, "retries")) {
    RetryPolicySpec retry;
    const YAML::Node& body = entry.second;
    if (!body.IsMap()) return fmt::format("retry '{}' is not a mapping", entry.first.Scalar());
    std::string policy =
        Child(body, "policy").IsScalar() ? Child(body, "policy").Scalar() : "constant";
    if (policy == "exponential") {
      retry.policy = RetryPolicySpec::Policy::kExponential;
    } else if (policy != "constant") {
      return fmt::format("retry '{}' has policy '{}'", entry.first.Scalar(), policy);
    }
    if (Has(Child(body, "duration")) &&
        !ParseResiliencyDuration(Child(body, "duration"), &retry.duration)) {
      return fmt::format("retry '{}' has a bad duration", entry.first.Scalar());
    }
    if (Has(Child(body, "maxInterval")) &&
        !ParseResiliencyDuration(Child(body, "maxInterval"), &retry.max_interval)) {
      return fmt::format("retry '{}' has a bad maxInterval", entry.first.Scalar());
    }
    if (Has(Child(body, "maxRetries"))) {
      char* end = nullptr;
      std::string text =
          Child(body, "maxRetries").IsScalar() ? Child(body, "maxRetries").Scalar() : "x";
      long value = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || value < -1) {
        return fmt::format("retry '{}' has a bad maxRetries", entry.first.Scalar());
      }
      retry.max_retries = static_cast<int>(value);
    }
    if (Has(Child(body, "matching"))) {
      // Status-code matching selects which service invocation errors are retried; a pubsub
      // delivery's failures (RETRY answers, app errors) and a component's errors carry no such
      // code in daprd, so every one is.
      PH_LOG_INFO("config",
                  "resiliency: retry '{}': matching does not apply to pubsub deliveries or "
                  "component calls",
                  entry.first.Scalar());
    }
    retries[entry.first.Scalar()] = retry;
  }
  std::map<std::string, CircuitBreakerSpec> breakers;
  for (const auto& entry : Child(policies_node, "circuitBreakers")) {
    CircuitBreakerSpec breaker;
    breaker.name = entry.first.Scalar();
    const YAML::Node& body = entry.second;
    if (!body.IsMap()) return fmt::format("circuitBreaker '{}' is not a mapping", breaker.name);
    for (auto [key, target] :
         {std::pair{"interval", &breaker.interval}, std::pair{"timeout", &breaker.timeout}}) {
      if (Has(Child(body, key)) && !ParseResiliencyDuration(Child(body, key), target)) {
        return fmt::format("circuitBreaker '{}' has a bad {}", breaker.name, key);
      }
    }
    if (Has(Child(body, "maxRequests"))) {
      char* end = nullptr;
      std::string text =
          Child(body, "maxRequests").IsScalar() ? Child(body, "maxRequests").Scalar() : "x";
      long value = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || value < 0 || value > 1000000) {
        return fmt::format("circuitBreaker '{}' has a bad maxRequests", breaker.name);
      }
      breaker.max_requests = std::max(1, static_cast<int>(value));  // 0 means 1, as daprd
    }
    if (Has(Child(body, "trip"))) {
      if (!Child(body, "trip").IsScalar() || Child(body, "trip").Scalar().empty()) {
        return fmt::format("circuitBreaker '{}' has a bad trip", breaker.name);
      }
      breaker.trip = Child(body, "trip").Scalar();
    }
    breakers[breaker.name] = breaker;
  }
  // Fills `out` from a target's names; an unknown name is an error at `field`.<name kind>.
  auto policy_of = [&](const YAML::Node& target, const std::string& field,
                       DeliveryPolicySpec* out) {
    auto name_of = [&](const char* key) -> std::optional<std::string> {
      YAML::Node node = Child(target, key);
      if (!Has(node)) return std::nullopt;
      return node.IsScalar() ? node.Scalar() : std::string();
    };
    if (auto name = name_of("timeout")) {
      if (auto it = timeouts.find(*name); it != timeouts.end()) {
        out->timeout = it->second;
      } else {
        errors.Add(field + ".timeout",
                   fmt::format("names no policy of spec.policies.timeouts (\"{}\")", *name));
      }
    }
    if (auto name = name_of("retry")) {
      if (auto it = retries.find(*name); it != retries.end()) {
        out->retry = it->second;
      } else {
        errors.Add(field + ".retry",
                   fmt::format("names no policy of spec.policies.retries (\"{}\")", *name));
      }
    }
    if (auto name = name_of("circuitBreaker")) {
      if (auto it = breakers.find(*name); it != breakers.end()) {
        out->circuit_breaker = it->second;
      } else {
        errors.Add(field + ".circuitBreaker",
                   fmt::format("names no policy of spec.policies.circuitBreakers (\"{}\")", *name));
      }
    }
  };
  std::map<std::string, DeliveryPolicySpec> found;
  // Dapr's default policies apply to components without their own target, each of the three
  // looked up by name from the most specific level to the broadest, as daprd does:
  // Default{<Type>Component<Direction>,Component<Direction>,Component,}{Retry,Timeout,
  // CircuitBreaker}Policy.
  auto defaults_of = [&](const std::string& type, const std::string& direction) {
    std::vector<std::string> levels = {type + "Component" + direction, "Component" + direction,
                                       "Component", ""};
    auto named = [&levels](const auto& defined, std::string_view kind) {
      std::optional<typename std::decay_t<decltype(defined)>::mapped_type> found;
      for (const auto& level : levels) {
        auto it = defined.find(fmt::format("Default{}{}Policy", level, kind));
        if (it != defined.end()) {
          found = it->second;
          break;
        }
      }
      return found;
    };
    DeliveryPolicySpec defaults;
    defaults.retry = named(retries, "Retry");
    defaults.timeout = named(timeouts, "Timeout");
    defaults.circuit_breaker = named(breakers, "CircuitBreaker");
    return defaults;
  };
  if (DeliveryPolicySpec defaults = defaults_of("Pubsub", "Inbound"); !defaults.empty()) {
    found[""] = defaults;
  }
  OutboundPolicies outbound;
  for (const char* type :
       {"Statestore", "Pubsub", "Binding", "Secretstore", "Configuration", "Lock"}) {
    if (DeliveryPolicySpec defaults = defaults_of(type, "Outbound"); !defaults.empty()) {
      outbound.defaults_by_type[type] = defaults;
    }
  }
  for (const auto& entry : Child(Child(Child(document, "spec"), "targets"), "components")) {
    const std::string& name = entry.first.Scalar();
    std::string field = "spec.targets.components." + name;
    // daprd gives a component any target names no default outbound policy, even an empty one.
    DeliveryPolicySpec& out = outbound.by_component[name];
    if (YAML::Node target = Child(entry.second, "outbound"); target.IsMap()) {
      policy_of(target, field + ".outbound", &out);
    }
    YAML::Node inbound = Child(entry.second, "inbound");
    if (!inbound.IsMap()) continue;
    DeliveryPolicySpec spec;
    policy_of(inbound, field + ".inbound", &spec);
    found[name] = spec;
  }
  if (!errors.empty()) return "";
  for (auto& [name, spec] : found) config->pubsub_inbound_policies[name] = spec;
  for (auto& [name, spec] : outbound.by_component) {
    config->outbound_policies.by_component[name] = spec;
  }
  for (auto& [type, spec] : outbound.defaults_by_type) {
    config->outbound_policies.defaults_by_type[type] = spec;
  }
  return "";
}

// A YAML scalar as the string it was written as: command arguments and environment values are
// text even when they look like numbers or booleans (`[sleep, 10]`, `DEBUG: true`).
nlohmann::json ScalarsAsText(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) object[entry.first.Scalar()] = ScalarsAsText(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(ScalarsAsText(item));
      return array;
    }
    case YAML::NodeType::Scalar:
      return node.Scalar();
    default:
      return nullptr;
  }
}

// plughost's own kind: a component process the host launches (the JSON config's `processes`
// entry, with its name in metadata.name). The JSON form's checks apply (ParseProcessSpec); its
// lines are re-labelled with the document's field names.
void ParseProcess(const YAML::Node& document, const std::string& file, size_t index,
                  DocumentErrors& errors, ProcessSpec& spec) {
  std::string name = ReadName(document, errors);
  YAML::Node body = Child(document, "spec");
  if (!body.IsMap()) {
    errors.Add("spec", "required, a mapping with command (and env, workdir, restart)");
    return;
  }
  nlohmann::json entry = nlohmann::json::object();
  for (const auto& field : body) {
    std::string key = field.first.Scalar();
    if (key != "command" && key != "env" && key != "workdir" && key != "restart") {
      errors.Add("spec", fmt::format("unknown field \"{}\" (expected: command, env, workdir, "
                                     "restart; the name is metadata.name)",
                                     key));
      continue;
    }
    if (!field.second.IsNull()) entry[key] = ScalarsAsText(field.second);
  }
  if (!errors.empty()) return;
  entry["name"] = name;
  auto parsed = ParseProcessSpec(entry, "spec");
  if (!parsed.ok()) {
    // Lines are "spec.<field>: <problem>"; the name came from metadata.name.
    std::string message(parsed.status().message());
    std::string_view lines = message;
    while (!lines.empty()) {
      size_t end = lines.find('\n');
      std::string line(lines.substr(0, end));
      lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
      size_t colon = line.find(": ");
      std::string field = colon == std::string::npos ? "" : line.substr(0, colon);
      std::string problem = colon == std::string::npos ? line : line.substr(colon + 2);
      errors.Add(field == "spec.name" ? "metadata.name" : field, problem);
    }
    return;
  }
  spec = std::move(*parsed);
  spec.field = fmt::format("{}[{}]", file, index);
  spec.source = file;
}

std::string WhereProcess(const ProcessSpec& spec, const HostConfig& config) {
  return spec.source.empty() ? fmt::format("{} ({})", config.source, spec.field) : spec.field;
}

std::string WhereComponent(const ComponentSpec& spec, const HostConfig& config) {
  return spec.source.empty() ? fmt::format("{} ({})", config.source, spec.field)
                             : fmt::format("{} ({})", spec.source, spec.field);
}

bool IsYamlFile(const std::string& name) {
  auto dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string extension = name.substr(dot + 1);
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  return extension == "yaml" || extension == "yml";
}

}  // namespace

bool ParseGoDuration(std::string_view text, std::chrono::milliseconds* out) {
  if (text.empty()) return false;
  if (text == "0") {
    *out = std::chrono::milliseconds(0);
    return true;
  }
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
  double total = 0;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) return false;
    double number = std::strtod(std::string(text.substr(0, digits)).c_str(), nullptr);
    text.remove_prefix(digits);
    bool matched = false;
    // Longest unit first where two share a letter ("ms" before "m").
    for (std::string_view unit : {"ns", "us", "µs", "ms", "s", "m", "h"}) {
      if (text.rfind(unit, 0) == 0) {
        for (const auto& [name, factor] : kUnits) {
          if (name == unit) total += number * factor;
        }
        text.remove_prefix(unit.size());
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  *out = std::chrono::milliseconds(std::llround(total));
  return true;
}

absl::Status ParseResourceFile(std::string_view yaml_text, const std::string& file,
                               const std::string& app_id, HostConfig* config) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(fmt::format("{}: line {}, column {}: invalid YAML: {}", file,
                                                  error.mark.line + 1, error.mark.column + 1,
                                                  error.msg));
  }
  std::vector<std::string> problems;
  for (size_t index = 0; index < documents.size(); ++index) {
    const YAML::Node& document = documents[index];
    if (document.IsNull()) continue;  // an empty document between two "---"
    DocumentErrors errors(file, index);
    // yaml-cpp throws on a conversion it cannot make; each document's problem stays its own.
    try {
      if (!document.IsMap()) {
        errors.Add("", "expected a mapping with apiVersion, kind, metadata and spec, got " +
                           Describe(document));
      } else {
        std::string kind, api_version;
        ReadString(document, "kind", "kind", true, errors, &kind);
        ReadString(document, "apiVersion", "apiVersion", kind != "Resiliency", errors,
                   &api_version);
        if (!errors.empty()) {
          // reported below
        } else if (kind == "Component") {
          if (api_version != kComponentApi) {
            errors.Add("apiVersion",
                       fmt::format("expected {}, got \"{}\"", kComponentApi, api_version));
          }
          ComponentSpec spec;
          bool served = ParseComponent(document, file, index, errors, spec);
          bool in_scope = InScope(document, app_id, errors);
          if (errors.empty() && served && !in_scope) {
            PH_LOG_INFO("config",
                        "{}: document {}: component '{}' is scoped to other apps than "
                        "'{}'; not created",
                        file, index, spec.name, app_id);
          } else if (errors.empty() && served) {
            for (const auto& existing : config->components) {
              if (existing.name == spec.name) {
                errors.Add("metadata.name",
                           fmt::format("component \"{}\" is already defined in {}", spec.name,
                                       WhereComponent(existing, *config)));
              }
            }
            if (errors.empty()) config->components.push_back(std::move(spec));
          }
        } else if (kind == "Subscription") {
          if (api_version != "dapr.io/v1alpha1" && api_version != "dapr.io/v2alpha1") {
            errors.Add("apiVersion", fmt::format("expected dapr.io/v1alpha1 or dapr.io/v2alpha1, "
                                                 "got \"{}\"",
                                                 api_version));
          }
          SubscriptionSpec spec;
          ParseSubscription(document, api_version, file, index, errors, spec);
          bool in_scope = InScope(document, app_id, errors, &spec.scopes);
          if (errors.empty() && !in_scope) {
            PH_LOG_INFO("config", "{}: document {}: subscription '{}' is scoped to other apps",
                        file, index, spec.name);
          } else if (errors.empty()) {
            for (const auto& existing : config->subscriptions) {
              if (existing.name == spec.name) {
                errors.Add("metadata.name",
                           fmt::format("subscription \"{}\" is already defined in {}", spec.name,
                                       existing.field));
              }
            }
            if (errors.empty()) config->subscriptions.push_back(std::move(spec));
          }
        } else if (kind == "Process") {
          if (api_version != kProcessApi) {
            errors.Add("apiVersion",
                       fmt::format("expected {}, got \"{}\"", kProcessApi, api_version));
          }
          ProcessSpec spec;
          ParseProcess(document, file, index, errors, spec);
          bool in_scope = InScope(document, app_id, errors);
          if (errors.empty() && !in_scope) {
            PH_LOG_INFO("config", "{}: document {}: process '{}' is scoped to other apps", file,
                        index, spec.name);
          } else if (errors.empty()) {
            for (const auto& existing : config->processes) {
              if (existing.name == spec.name) {
                errors.Add("metadata.name",
                           fmt::format("process \"{}\" is already defined in {}", spec.name,
                                       WhereProcess(existing, *config)));
              }
            }
            if (errors.empty()) config->processes.push_back(std::move(spec));
          }
        } else if (kind == "Resiliency") {
          if (InScope(document, app_id, errors)) {
            if (auto skipped = ParseResiliency(document, config, errors); !skipped.empty()) {
              PH_LOG_WARN("config",
                          "{}: document {}: Resiliency skipped: {} (plughost applies "
                          "timeouts, constant/exponential retries and circuit breakers of "
                          "component targets)",
                          file, index, skipped);
            } else if (errors.empty()) {
              YAML::Node name = Child(Child(document, "metadata"), "name");
              config->resiliency_names.push_back(name.IsScalar() ? name.Scalar() : "");
            }
          }
        } else {
          PH_LOG_INFO("config",
                      "{}: document {}: kind {} skipped (plughost reads Component, "
                      "Subscription, Resiliency and its own Process)",
                      file, index, kind);
        }
      }
    } catch (const YAML::Exception& error) {
      errors.Add("", std::string("unreadable: ") + error.what());
    }
    for (auto& line : errors.lines()) problems.push_back(std::move(line));
  }
  if (problems.empty()) return absl::OkStatus();
  std::string joined;
  for (const auto& line : problems) joined += (joined.empty() ? "" : "\n") + line;
  return absl::InvalidArgumentError(joined);
}

absl::Status LoadResourceFolders(const std::vector<std::string>& folders, const std::string& app_id,
                                 HostConfig* config) {
  for (const auto& folder : folders) {
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) {
      return absl::InvalidArgumentError(fmt::format(
          "--resources-path {}: cannot read the folder: {}", folder, std::strerror(errno)));
    }
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      if (IsYamlFile(name)) {
        names.push_back(name);
      } else {
        PH_LOG_DEBUG("config", "{}/{}: not a .yaml/.yml file; skipped", folder, name);
      }
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      std::string path = fmt::format("{}/{}", folder, name);
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        return absl::InvalidArgumentError(
            fmt::format("{}: cannot read the file: {}", path, std::strerror(errno)));
      }
      std::stringstream text;
      text << in.rdbuf();
      if (auto status = ParseResourceFile(text.str(), path, app_id, config); !status.ok()) {
        return status;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace plughost
