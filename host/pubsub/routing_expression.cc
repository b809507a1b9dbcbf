#include "host/pubsub/routing_expression.h"

#include <utility>

#include "host/pubsub/routing_evaluator.h"
#include "host/pubsub/routing_node.h"
#include "host/pubsub/routing_parser.h"

namespace plughost {

absl::StatusOr<RoutingExpression> RoutingExpression::Compile(std::string_view text) {
  auto root = routing::Parse(text);
  if (!root.ok()) return root.status();
  return RoutingExpression(std::string(text), std::move(*root));
}

absl::StatusOr<bool> RoutingExpression::Evaluate(const nlohmann::json& event) const {
  auto result = routing::Evaluate(*root_, event);
  if (!result.ok()) return result.status();
  if (result->kind != routing::Value::Kind::kBool) {
    return absl::InvalidArgumentError(std::string("position 1: the rule yields a ") +
                                      routing::TypeName(result->kind) + ", not a bool");
  }
  return result->boolean;
}

RoutingExpression::RoutingExpression(std::string text, std::unique_ptr<Node> root)
    : text_(std::move(text)), root_(std::move(root)) {}
RoutingExpression::RoutingExpression(RoutingExpression&&) noexcept = default;
RoutingExpression& RoutingExpression::operator=(RoutingExpression&&) noexcept = default;
RoutingExpression::~RoutingExpression() = default;

}  // namespace plughost
