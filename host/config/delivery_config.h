// The JSON config's pub/sub delivery fields: "subscriptions" (declarative subscriptions, with
// the field names of Dapr's Subscription spec) and "pubsub_inbound_policies" (per pubsub, the
// inbound timeout, retry and circuit breaker of Dapr's Resiliency policies; "" for every other
// pubsub):
//
//   "subscriptions": [{"name": "orders", "pubsubname": "pubsub", "topic": "orders",
//                      "routes": {"rules": [{"match": "event.type == \"a\"", "path": "/a"}],
//                                 "default": "/orders"},
//                      "deadLetterTopic": "orders-dead", "metadata": {},
//                      "bulkSubscribe": {"enabled": true, "maxMessagesCount": 10,
//                                        "maxAwaitDurationMs": 100}}],
//   "pubsub_inbound_policies": {"pubsub": {"timeout": "5s",
//       "retry": {"policy": "constant", "duration": "1s", "maxRetries": 3},
//       "circuitBreaker": {"maxRequests": 1, "timeout": "60s", "trip": "consecutiveFailures > 5"}}}
//
// Durations are Go durations ("1m30s", "250ms") or integer milliseconds, as in Resiliency files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/config/host_config.h"

namespace plughost {

// Problems found, each as {field path, what is wrong}.
using ConfigProblems = std::vector<std::pair<std::string, std::string>>;

void ParseSubscriptions(const nlohmann::json& subscriptions, HostConfig& config,
                        ConfigProblems& problems);
void ParseInboundPolicies(const nlohmann::json& policies, HostConfig& config,
                          ConfigProblems& problems);

// "1m30s", "250ms", "5s" or an integer count of milliseconds; false when it is neither.
bool ParseDuration(const nlohmann::json& value, std::chrono::milliseconds* out);

}  // namespace plughost
