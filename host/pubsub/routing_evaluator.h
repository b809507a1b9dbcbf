// Evaluates a parsed routing rule over a CloudEvent, with CEL's semantics: a missing field or a
// type mismatch is an error, and `&&` / `||` absorb an error when the other side decides.
#pragma once

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "host/pubsub/routing_node.h"
#include "host/pubsub/routing_value.h"

namespace plughost::routing {

// Errors are INVALID_ARGUMENT, "position N: ...". The result may borrow from `event`.
absl::StatusOr<Value> Evaluate(const RoutingExpression::Node& node, const nlohmann::json& event);

}  // namespace plughost::routing
