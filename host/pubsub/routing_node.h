// The parsed form of a routing rule, shared by the parser and the evaluator.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/pubsub/routing_expression.h"
#include "host/pubsub/routing_value.h"

namespace plughost {

struct RoutingExpression::Node {
  enum class Kind {
    kLiteral,  // `literal`
    kEvent,    // the variable `event`
    kSelect,   // children[0].field
    kIndex,    // children[0][children[1]]
    kHas,      // has(children[0].field)
    kCall,     // `function`; a method's receiver is children[0]
    kList,     // [children...]
    kNot,      // !children[0]
    kNegate,   // -children[0]
    kAnd,      // children[0] && children[1] && ... (flattened, so long chains stay shallow)
    kOr,       // children[0] || children[1] || ...
    kCompare,  // children[0] `op` children[1]
    kIn,       // children[0] in children[1]
  };
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  enum class Function { kSize, kInt, kUint, kDouble, kString, kStartsWith, kEndsWith, kContains };

  Kind kind = Kind::kLiteral;
  size_t position = 0;  // 1-based offset of the construct in the rule, for errors
  routing::Value literal;
  std::string field;
  Op op = Op::kEq;
  Function function = Function::kSize;
  std::vector<std::unique_ptr<Node>> children;

  int depth = 1;  // of the subtree; bounded so evaluation cannot exhaust the stack
  // The type known before evaluation (a literal's, a comparison's bool...); none when it
  // depends on the event.
  std::optional<routing::Value::Kind> type;
};

}  // namespace plughost
