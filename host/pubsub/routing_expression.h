// A subscription's routing rule (`match`), as Dapr writes them: a subset of CEL evaluated over
// the CloudEvent bound to `event`, e.g.
//   event.type == "widget" && int(event.data.amount) > 100
//   has(event.data.important) && event.data.important == true
// An expression outside the subset is refused when the subscription is made (Compile), never
// silently routed to the default. The grammar is in docs/pubsub-routing.md.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace plughost {

class RoutingExpression {
 public:
  // Parses and checks `text`. An error names the position and what is not supported or wrong.
  static absl::StatusOr<RoutingExpression> Compile(std::string_view text);

  // Evaluates against `event` (the CloudEvent as JSON). An error, as in daprd, when the result
  // is not a boolean or a field is missing outside has() (the message is then dead-lettered
  // or nacked, not routed elsewhere).
  absl::StatusOr<bool> Evaluate(const nlohmann::json& event) const;

  const std::string& text() const { return text_; }

  RoutingExpression(RoutingExpression&&) noexcept;
  RoutingExpression& operator=(RoutingExpression&&) noexcept;
  ~RoutingExpression();

  struct Node;  // the parsed tree; defined in routing_expression.cc

 private:
  RoutingExpression(std::string text, std::unique_ptr<Node> root);
  std::string text_;
  std::unique_ptr<Node> root_;
};

}  // namespace plughost
