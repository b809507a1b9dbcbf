#include "host/pubsub/routing_evaluator.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace plughost::routing {
namespace {

using Node = RoutingExpression::Node;
using Kind = Value::Kind;

// `lhs` names the variable it declares, so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ROUTING_ASSIGN_OR_RETURN(lhs, expr)     \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(*lhs##_or)
// NOLINTEND(bugprone-macro-parentheses)

absl::Status ErrorAt(const Node& node, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("position {}: {}", node.position, what));
}

absl::Status NoOverload(const Node& node, std::string_view what, const Value& value) {
  return ErrorAt(node, fmt::format("{} does not take a {}", what, TypeName(value.kind)));
}

// CEL's size of a string counts code points, not bytes.
int64_t CodePoints(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The whole of `text` as a number, as Go's strconv does for cel-go: a leading '+' is accepted
// for int and double, not for uint.
template <typename T>
bool ParseWhole(std::string_view text, T& out) {
  if (!text.empty() && text.front() == '+' && !std::is_same_v<T, uint64_t>) {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// As cel-go prints a double (Go's strconv 'g', shortest): "150", "1.5", "0.0001", but
// "1.234567e+06" and "1e-05" once the exponent is below -4 or at least 6.
std::string DoubleToString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific).ptr;
  std::string_view scientific(buffer, end - buffer);
  std::string_view exponent_text = scientific.substr(scientific.find('e') + 1);
  if (exponent_text.front() == '+') exponent_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  if (exponent < -4 || exponent >= 6) return std::string(scientific);
  end = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::fixed).ptr;
  return std::string(buffer, end);
}

class Evaluator {
 public:
  explicit Evaluator(const nlohmann::json& event) : event_(event) {}

  absl::StatusOr<Value> Eval(const Node& node) {
    const auto& c = node.children;
    switch (node.kind) {
      case Node::Kind::kLiteral:
        return node.literal;
      case Node::Kind::kEvent:
        return Value::FromJson(event_);
      case Node::Kind::kSelect:
      case Node::Kind::kHas:
        return Field(node);
      case Node::Kind::kIndex:
        return Index(node);
      case Node::Kind::kList: {
        std::vector<Value> items;
        items.reserve(c.size());
        for (const auto& child : c) {
          ROUTING_ASSIGN_OR_RETURN(item, Eval(*child));
          items.push_back(std::move(item));
        }
        return Value::List(std::move(items));
      }
      case Node::Kind::kNot: {
        ROUTING_ASSIGN_OR_RETURN(operand, Eval(*c[0]));
        if (operand.kind != Kind::kBool) return NoOverload(node, "'!'", operand);
        return Value::Bool(!operand.boolean);
      }
      case Node::Kind::kNegate:
        return Negate(node);
      case Node::Kind::kAnd:
      case Node::Kind::kOr:
        return Logical(node);
      case Node::Kind::kCompare:
        return CompareValues(node);
      case Node::Kind::kIn:
        return In(node);
      case Node::Kind::kCall:
        return Call(node);
    }
    return ErrorAt(node, "unknown construct");
  }

 private:
  // `x.f` (an error when f is absent) and has(x.f) (false then).
  absl::StatusOr<Value> Field(const Node& node) {
    ROUTING_ASSIGN_OR_RETURN(object, Eval(*node.children[0]));
    if (object.kind != Kind::kMap) {
      return ErrorAt(node, fmt::format("cannot select field '{}' from a {}", node.field,
                                       TypeName(object.kind)));
    }
    auto it = object.json->find(node.field);
    if (node.kind == Node::Kind::kHas) return Value::Bool(it != object.json->end());
    if (it == object.json->end()) return ErrorAt(node, fmt::format("no such key '{}'", node.field));
    return Value::FromJson(*it);
  }

  absl::StatusOr<Value> Index(const Node& node) {
    ROUTING_ASSIGN_OR_RETURN(container, Eval(*node.children[0]));
    ROUTING_ASSIGN_OR_RETURN(key, Eval(*node.children[1]));
    if (container.kind == Kind::kMap) {
      if (key.kind != Kind::kString) {
        return ErrorAt(
            node, fmt::format("no such key: {} key in a map keyed by strings", TypeName(key.kind)));
      }
      auto it = container.json->find(key.string_value);
      if (it == container.json->end()) {
        return ErrorAt(node, fmt::format("no such key '{}'", key.string_value));
      }
      return Value::FromJson(*it);
    }
    if (container.kind != Kind::kList) return NoOverload(node, "'[]'", container);
    int64_t size = static_cast<int64_t>(ListSize(container));
    bool in_range = (key.kind == Kind::kInt && key.int_value >= 0 && key.int_value < size) ||
                    (key.kind == Kind::kUint && key.uint_value < static_cast<uint64_t>(size));
    if (key.kind != Kind::kInt && key.kind != Kind::kUint) {
      return ErrorAt(node, fmt::format("a list index is an int, not a {}", TypeName(key.kind)));
    }
    if (!in_range) return ErrorAt(node, "list index out of range");
    return ListAt(container, key.kind == Kind::kInt ? static_cast<size_t>(key.int_value)
                                                    : static_cast<size_t>(key.uint_value));
  }

  absl::StatusOr<Value> Negate(const Node& node) {
    ROUTING_ASSIGN_OR_RETURN(operand, Eval(*node.children[0]));
    if (operand.kind == Kind::kDouble) return Value::Double(-operand.double_value);
    if (operand.kind != Kind::kInt) return NoOverload(node, "'-'", operand);
    if (operand.int_value == std::numeric_limits<int64_t>::min()) {
      return ErrorAt(node, "integer overflow");
    }
    return Value::Int(-operand.int_value);
  }

  // CEL's commutative && and ||: the first operand that decides (false for &&, true for ||)
  // wins even after an error; otherwise the first error, else the other bool.
  absl::StatusOr<Value> Logical(const Node& node) {
    bool decider = node.kind == Node::Kind::kOr;
    absl::Status first_error;
    for (const auto& child : node.children) {
      auto operand = Eval(*child);
      if (!operand.ok()) {
        if (first_error.ok()) first_error = operand.status();
        continue;
      }
      if (operand->kind != Kind::kBool) {
        if (first_error.ok()) {
          first_error = NoOverload(*child, decider ? "'||'" : "'&&'", *operand);
        }
        continue;
      }
      if (operand->boolean == decider) return Value::Bool(decider);
    }
    if (!first_error.ok()) return first_error;
    return Value::Bool(!decider);
  }

  absl::StatusOr<Value> CompareValues(const Node& node) {
    ROUTING_ASSIGN_OR_RETURN(left, Eval(*node.children[0]));
    ROUTING_ASSIGN_OR_RETURN(right, Eval(*node.children[1]));
    if (node.op == Node::Op::kEq) return Value::Bool(Equals(left, right));
    if (node.op == Node::Op::kNe) return Value::Bool(!Equals(left, right));
    auto order = Compare(left, right);
    if (!order.ok()) return ErrorAt(node, std::string(order.status().message()));
    switch (node.op) {
      case Node::Op::kLt:
        return Value::Bool(*order < 0);
      case Node::Op::kLe:
        return Value::Bool(*order <= 0);
      case Node::Op::kGt:
        return Value::Bool(*order > 0);
      default:
        return Value::Bool(*order >= 0);
    }
  }

  absl::StatusOr<Value> In(const Node& node) {
    ROUTING_ASSIGN_OR_RETURN(element, Eval(*node.children[0]));
    ROUTING_ASSIGN_OR_RETURN(container, Eval(*node.children[1]));
    if (container.kind == Kind::kMap) {
      // Keys read from JSON are strings; a key of another type is simply absent.
      return Value::Bool(element.kind == Kind::kString &&
                         container.json->contains(element.string_value));
    }
    if (container.kind != Kind::kList) return NoOverload(node, "'in'", container);
    size_t size = ListSize(container);
    for (size_t i = 0; i < size; ++i) {
      if (Equals(element, ListAt(container, i))) return Value::Bool(true);
    }
    return Value::Bool(false);
  }

  absl::StatusOr<Value> Call(const Node& node) {
    std::vector<Value> args;
    for (const auto& child : node.children) {
      ROUTING_ASSIGN_OR_RETURN(arg, Eval(*child));
      args.push_back(std::move(arg));
    }
    const Value& x = args[0];
    switch (node.function) {
      case Node::Function::kSize:
        if (x.kind == Kind::kString) return Value::Int(CodePoints(x.string_value));
        if (x.kind == Kind::kList || x.kind == Kind::kMap) {
          return Value::Int(
              static_cast<int64_t>(x.kind == Kind::kMap ? x.json->size() : ListSize(x)));
        }
        return NoOverload(node, "size()", x);
      case Node::Function::kInt:
        return ToInt(node, x);
      case Node::Function::kUint:
        return ToUint(node, x);
      case Node::Function::kDouble:
        return ToDouble(node, x);
      case Node::Function::kString:
        return ToString(node, x);
      default:
        break;
    }
    const Value& y = args[1];
    if (x.kind != Kind::kString || y.kind != Kind::kString) {
      return NoOverload(node, "startsWith(), endsWith() and contains()",
                        x.kind != Kind::kString ? x : y);
    }
    const std::string& s = x.string_value;
    const std::string& t = y.string_value;
    switch (node.function) {
      case Node::Function::kStartsWith:
        return Value::Bool(s.compare(0, t.size(), t) == 0);
      case Node::Function::kEndsWith:
        return Value::Bool(s.size() >= t.size() &&
                           s.compare(s.size() - t.size(), t.size(), t) == 0);
      default:
        return Value::Bool(s.find(t) != std::string::npos);
    }
  }

  absl::StatusOr<Value> ToInt(const Node& node, const Value& x) {
    switch (x.kind) {
      case Kind::kInt:
        return x;
      case Kind::kUint:
        if (x.uint_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) break;
        return Value::Int(static_cast<int64_t>(x.uint_value));
      case Kind::kDouble:
        // (-2^63, 2^63), as cel-go; NaN fails both tests.
        if (!(x.double_value > -9223372036854775808.0 && x.double_value < 9223372036854775808.0)) {
          break;
        }
        return Value::Int(static_cast<int64_t>(x.double_value));
      case Kind::kString: {
        int64_t i = 0;
        if (!ParseWhole(x.string_value, i)) {
          return ErrorAt(node, fmt::format("int(): '{}' is not an integer", x.string_value));
        }
        return Value::Int(i);
      }
      default:
        return NoOverload(node, "int()", x);
    }
    return ErrorAt(node, "int(): value out of range");
  }

  absl::StatusOr<Value> ToUint(const Node& node, const Value& x) {
    switch (x.kind) {
      case Kind::kUint:
        return x;
      case Kind::kInt:
        if (x.int_value < 0) break;
        return Value::Uint(static_cast<uint64_t>(x.int_value));
      case Kind::kDouble:
        if (!(x.double_value >= 0 && x.double_value < 18446744073709551616.0)) break;
        return Value::Uint(static_cast<uint64_t>(x.double_value));
      case Kind::kString: {
        uint64_t u = 0;
        if (!ParseWhole(x.string_value, u)) {
          return ErrorAt(node,
                         fmt::format("uint(): '{}' is not an unsigned integer", x.string_value));
        }
        return Value::Uint(u);
      }
      default:
        return NoOverload(node, "uint()", x);
    }
    return ErrorAt(node, "uint(): value out of range");
  }

  absl::StatusOr<Value> ToDouble(const Node& node, const Value& x) {
    switch (x.kind) {
      case Kind::kDouble:
        return x;
      case Kind::kInt:
        return Value::Double(static_cast<double>(x.int_value));
      case Kind::kUint:
        return Value::Double(static_cast<double>(x.uint_value));
      case Kind::kString: {
        double d = 0;
        if (!ParseWhole(x.string_value, d)) {
          return ErrorAt(node, fmt::format("double(): '{}' is not a number", x.string_value));
        }
        return Value::Double(d);
      }
      default:
        return NoOverload(node, "double()", x);
    }
  }

  absl::StatusOr<Value> ToString(const Node& node, const Value& x) {
    switch (x.kind) {
      case Kind::kString:
        return x;
      case Kind::kBool:
        return Value::String(x.boolean ? "true" : "false");
      case Kind::kInt:
        return Value::String(std::to_string(x.int_value));
      case Kind::kUint:
        return Value::String(std::to_string(x.uint_value));
      case Kind::kDouble:
        return Value::String(DoubleToString(x.double_value));
      default:
        return NoOverload(node, "string()", x);
    }
  }

  const nlohmann::json& event_;
};

}  // namespace

absl::StatusOr<Value> Evaluate(const Node& node, const nlohmann::json& event) {
  return Evaluator(event).Eval(node);
}

}  // namespace plughost::routing
