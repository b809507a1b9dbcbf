// Parses a routing rule (Dapr's CEL subset, docs/pubsub-routing.md) into a checked tree: every
// construct outside the subset, and every type error visible without the event, is refused here.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "host/pubsub/routing_node.h"

namespace plughost::routing {

// Real rules are one line; these bounds keep a hostile rule from exhausting the parser's or the
// evaluator's stack.
inline constexpr size_t kMaxRuleLength = 4096;
inline constexpr int kMaxRuleDepth = 100;

// Errors are INVALID_ARGUMENT, "position N: ...".
absl::StatusOr<std::unique_ptr<RoutingExpression::Node>> Parse(std::string_view text);

}  // namespace plughost::routing
