#include "host/config/delivery_config.h"

#include <algorithm>
#include <cctype>

namespace plughost {
namespace {

using Json = nlohmann::json;

std::string Str(const Json& object, const char* key, const std::string& field,
                ConfigProblems& problems) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (!it->is_string()) {
    problems.emplace_back(field + "." + key, "expected a string");
    return "";
  }
  return it->get<std::string>();
}

void StringMap(const Json& object, const char* key, const std::string& field,
               std::map<std::string, std::string>& out, ConfigProblems& problems) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  if (!it->is_object()) {
    problems.emplace_back(field + "." + key, "expected an object of strings");
    return;
  }
  for (const auto& [k, v] : it->items()) {
    out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
}

}  // namespace

bool ParseDuration(const Json& value, std::chrono::milliseconds* out) {
  if (value.is_number_integer()) {
    if (value.get<int64_t>() < 0) return false;
    *out = std::chrono::milliseconds(value.get<int64_t>());
    return true;
  }
  if (!value.is_string()) return false;
  std::string text = value.get<std::string>();
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    *out = std::chrono::milliseconds(std::stoll(text));
    return true;
  }
  double total_ms = 0;
  size_t i = 0;
  if (text.empty()) return false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i) return false;
    double number = std::stod(text.substr(start, i - start));
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    if (unit == "ms") {
      total_ms += number;
    } else if (unit == "s") {
      total_ms += number * 1000;
    } else if (unit == "m") {
      total_ms += number * 60000;
    } else if (unit == "h") {
      total_ms += number * 3600000;
    } else {
      return false;
    }
  }
  *out = std::chrono::milliseconds(static_cast<int64_t>(total_ms));
  return true;
}

void ParseSubscriptions(const Json& subscriptions, HostConfig& config, ConfigProblems& problems) {
  if (!subscriptions.is_array()) {
    problems.emplace_back("subscriptions", "expected an array of subscriptions");
    return;
  }
  for (size_t i = 0; i < subscriptions.size(); ++i) {
    const Json& item = subscriptions[i];
    std::string field = "subscriptions[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      problems.emplace_back(field, "expected an object");
      continue;
    }
    SubscriptionSpec spec;
    spec.field = field;
    spec.name = Str(item, "name", field, problems);
    spec.pubsub_name = Str(item, "pubsubname", field, problems);
    spec.topic = Str(item, "topic", field, problems);
    if (spec.pubsub_name.empty()) problems.emplace_back(field + ".pubsubname", "required");
    if (spec.topic.empty()) problems.emplace_back(field + ".topic", "required");
    if (spec.name.empty()) spec.name = spec.pubsub_name + "-" + spec.topic;
    spec.dead_letter_topic = Str(item, "deadLetterTopic", field, problems);
    StringMap(item, "metadata", field, spec.metadata, problems);
    std::string default_route = Str(item, "route", field, problems);
    if (auto routes = item.find("routes"); routes != item.end() && routes->is_object()) {
      if (auto rules = routes->find("rules"); rules != routes->end() && rules->is_array()) {
        for (size_t r = 0; r < rules->size(); ++r) {
          std::string rule_field = field + ".routes.rules[" + std::to_string(r) + "]";
          if (!(*rules)[r].is_object()) {
            problems.emplace_back(rule_field, "expected {\"match\", \"path\"}");
            continue;
          }
          spec.rules.push_back(RoutingRule{Str((*rules)[r], "match", rule_field, problems),
                                           Str((*rules)[r], "path", rule_field, problems)});
        }
      }
      std::string routes_default = Str(*routes, "default", field + ".routes", problems);
      if (!routes_default.empty()) default_route = routes_default;
    }
    if (!default_route.empty()) spec.rules.push_back(RoutingRule{"", default_route});
    if (auto bulk = item.find("bulkSubscribe"); bulk != item.end() && bulk->is_object()) {
      spec.bulk.enabled = bulk->value("enabled", false);
      spec.bulk.max_messages_count = bulk->value("maxMessagesCount", 100);
      spec.bulk.max_await_duration =
          std::chrono::milliseconds(bulk->value("maxAwaitDurationMs", 1000));
      if (spec.bulk.max_messages_count < 1) spec.bulk.max_messages_count = 100;
    }
    config.subscriptions.push_back(std::move(spec));
  }
}

void ParseInboundPolicies(const Json& policies, HostConfig& config, ConfigProblems& problems) {
  if (!policies.is_object()) {
    problems.emplace_back("pubsub_inbound_policies", "expected an object keyed by pubsub name");
    return;
  }
  for (const auto& [pubsub, body] : policies.items()) {
    std::string field = "pubsub_inbound_policies." + pubsub;
    if (!body.is_object()) {
      problems.emplace_back(field, "expected {\"timeout\", \"retry\", \"circuitBreaker\"}");
      continue;
    }
    DeliveryPolicySpec policy;
    if (auto timeout = body.find("timeout"); timeout != body.end()) {
      std::chrono::milliseconds value{};
      if (ParseDuration(*timeout, &value)) {
        policy.timeout = value;
      } else {
        problems.emplace_back(field + ".timeout", "expected a duration such as \"5s\"");
      }
    }
    if (auto retry = body.find("retry"); retry != body.end()) {
      if (!retry->is_object()) {
        problems.emplace_back(field + ".retry", "expected an object");
      } else {
        RetryPolicySpec spec;
        std::string kind = retry->value("policy", std::string("constant"));
        if (kind == "exponential") {
          spec.policy = RetryPolicySpec::Policy::kExponential;
        } else if (kind != "constant") {
          problems.emplace_back(field + ".retry.policy", "expected constant or exponential");
        }
        for (auto [key, target] : {std::pair{"duration", &spec.duration},
                                   std::pair{"maxInterval", &spec.max_interval}}) {
          if (auto it = retry->find(key); it != retry->end() && !ParseDuration(*it, target)) {
            problems.emplace_back(field + ".retry." + key, "expected a duration");
          }
        }
        if (auto it = retry->find("maxRetries"); it != retry->end()) {
          if (it->is_number_integer()) {
            spec.max_retries = it->get<int>();
          } else {
            problems.emplace_back(field + ".retry.maxRetries", "expected an integer");
          }
        }
        policy.retry = spec;
      }
    }
    if (auto breaker = body.find("circuitBreaker"); breaker != body.end()) {
      if (!breaker->is_object()) {
        problems.emplace_back(field + ".circuitBreaker", "expected an object");
      } else {
        CircuitBreakerSpec spec;
        spec.name = pubsub.empty() ? "inbound" : pubsub + "-inbound";
        for (auto [key, target] :
             {std::pair{"interval", &spec.interval}, std::pair{"timeout", &spec.timeout}}) {
          if (auto it = breaker->find(key); it != breaker->end() && !ParseDuration(*it, target)) {
            problems.emplace_back(field + ".circuitBreaker." + key, "expected a duration");
          }
        }
        if (auto it = breaker->find("maxRequests"); it != breaker->end()) {
          if (it->is_number_integer() && it->get<int64_t>() >= 0) {
            spec.max_requests = std::max(1, static_cast<int>(it->get<int64_t>()));
          } else {
            problems.emplace_back(field + ".circuitBreaker.maxRequests",
                                  "expected a non-negative integer");
          }
        }
        if (auto it = breaker->find("trip"); it != breaker->end()) {
          if (it->is_string() && !it->get<std::string>().empty()) {
            spec.trip = it->get<std::string>();
          } else {
            problems.emplace_back(field + ".circuitBreaker.trip",
                                  "expected an expression such as \"consecutiveFailures > 5\"");
          }
        }
        policy.circuit_breaker = spec;
      }
    }
    config.pubsub_inbound_policies[pubsub] = policy;
  }
}

}  // namespace plughost
