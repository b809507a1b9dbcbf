#include "host/pubsub/routing_parser.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "host/pubsub/routing_lexer.h"

namespace plughost::routing {
namespace {

using Node = RoutingExpression::Node;
using NodePtr = std::unique_ptr<Node>;
using Kind = Value::Kind;

// `lhs` names the variable it declares, so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ROUTING_ASSIGN_OR_RETURN(lhs, expr)     \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(*lhs##_or)
// NOLINTEND(bugprone-macro-parentheses)

absl::Status ErrorAt(size_t position, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("position {}: {}", position, what));
}

std::string Describe(const Token& token) {
  return token.kind == Token::Kind::kEnd ? "the end of the rule" : "'" + token.text + "'";
}

bool Known(const Node& node, std::initializer_list<Kind> allowed) {
  return !node.type || std::find(allowed.begin(), allowed.end(), *node.type) != allowed.end();
}

std::string TypeOf(const Node& node) { return TypeName(*node.type); }

bool IsNumber(const std::optional<Kind>& t) {
  return t == Kind::kInt || t == Kind::kUint || t == Kind::kDouble;
}

const char* FunctionName(Node::Function f) {
  switch (f) {
    case Node::Function::kSize:
      return "size";
    case Node::Function::kInt:
      return "int";
    case Node::Function::kUint:
      return "uint";
    case Node::Function::kDouble:
      return "double";
    case Node::Function::kString:
      return "string";
    case Node::Function::kStartsWith:
      return "startsWith";
    case Node::Function::kEndsWith:
      return "endsWith";
    case Node::Function::kContains:
      return "contains";
  }
  return "?";
}

// The node's static type, and the type errors CEL's checker would report without the event.
absl::Status Check(Node& node) {
  auto& c = node.children;
  auto refuse = [](const Node& at, std::string_view what) {
    return ErrorAt(at.position, fmt::format("{}, not a {}", what, TypeOf(at)));
  };
  switch (node.kind) {
    case Node::Kind::kLiteral:
      node.type = node.literal.kind;
      break;
    case Node::Kind::kEvent:
      node.type = Kind::kMap;
      break;
    case Node::Kind::kSelect:
    case Node::Kind::kHas:
      if (!Known(*c[0], {Kind::kMap})) return refuse(*c[0], "a field is selected from a map");
      if (node.kind == Node::Kind::kHas) node.type = Kind::kBool;
      break;
    case Node::Kind::kIndex:
      if (!Known(*c[0], {Kind::kMap, Kind::kList})) {
        return refuse(*c[0], "only maps and lists can be indexed");
      }
      break;
    case Node::Kind::kList:
      node.type = Kind::kList;
      break;
    case Node::Kind::kNot:
    case Node::Kind::kAnd:
    case Node::Kind::kOr:
      for (const auto& child : c) {
        if (!Known(*child, {Kind::kBool})) {
          return refuse(*child, "'!', '&&' and '||' take bools");
        }
      }
      node.type = Kind::kBool;
      break;
    case Node::Kind::kNegate:
      if (!Known(*c[0], {Kind::kInt, Kind::kDouble})) return refuse(*c[0], "'-' takes a number");
      node.type = c[0]->type;
      break;
    case Node::Kind::kCompare:
      node.type = Kind::kBool;
      if (node.op != Node::Op::kEq && node.op != Node::Op::kNe && c[0]->type && c[1]->type) {
        bool numbers = IsNumber(c[0]->type) && IsNumber(c[1]->type);
        bool same =
            c[0]->type == c[1]->type && (c[0]->type == Kind::kString || c[0]->type == Kind::kBool);
        if (!numbers && !same) {
          return ErrorAt(node.position, fmt::format("a {} cannot be ordered against a {}",
                                                    TypeOf(*c[0]), TypeOf(*c[1])));
        }
      }
      break;
    case Node::Kind::kIn:
      if (!Known(*c[1], {Kind::kList, Kind::kMap})) {
        return refuse(*c[1], "the right side of 'in' is a list or a map");
      }
      node.type = Kind::kBool;
      break;
    case Node::Kind::kCall: {
      std::string what = fmt::format("{}() takes ", FunctionName(node.function));
      switch (node.function) {
        case Node::Function::kSize:
          if (!Known(*c[0], {Kind::kString, Kind::kList, Kind::kMap})) {
            return refuse(*c[0], what + "a string, list or map");
          }
          node.type = Kind::kInt;
          break;
        case Node::Function::kInt:
        case Node::Function::kUint:
        case Node::Function::kDouble:
          if (!Known(*c[0], {Kind::kInt, Kind::kUint, Kind::kDouble, Kind::kString})) {
            return refuse(*c[0], what + "a number or a string");
          }
          node.type = node.function == Node::Function::kInt    ? Kind::kInt
                      : node.function == Node::Function::kUint ? Kind::kUint
                                                               : Kind::kDouble;
          break;
        case Node::Function::kString:
          if (!Known(*c[0], {Kind::kInt, Kind::kUint, Kind::kDouble, Kind::kString, Kind::kBool})) {
            return refuse(*c[0], what + "a number, string or bool");
          }
          node.type = Kind::kString;
          break;
        default:
          for (const auto& child : c) {
            if (!Known(*child, {Kind::kString})) return refuse(*child, what + "strings");
          }
          node.type = Kind::kBool;
          break;
      }
      break;
    }
  }
  return absl::OkStatus();
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  absl::StatusOr<NodePtr> Run() {
    ROUTING_ASSIGN_OR_RETURN(root, ParseExpr());
    if (Peek().kind != Token::Kind::kEnd) {
      return ErrorAt(Peek().position, "unexpected " + Describe(Peek()));
    }
    if (root->type && *root->type != Kind::kBool) {
      return ErrorAt(1, fmt::format("the rule yields a {}, not a bool", TypeOf(*root)));
    }
    return root;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }
  const Token& Take() {
    const Token& token = tokens_[next_];
    if (next_ + 1 < tokens_.size()) ++next_;
    return token;
  }
  bool IsPunct(std::string_view p, size_t ahead = 0) const {
    return Peek(ahead).kind == Token::Kind::kPunct && Peek(ahead).text == p;
  }
  absl::Status Expect(std::string_view p) {
    if (IsPunct(p)) {
      Take();
      return absl::OkStatus();
    }
    return ErrorAt(Peek().position, fmt::format("expected '{}', found {}", p, Describe(Peek())));
  }

  // Every node is made here: its depth is bounded and its types checked.
  absl::StatusOr<NodePtr> Make(Node::Kind kind, size_t position, std::vector<NodePtr> children,
                               Node::Op op = Node::Op::kEq,
                               Node::Function function = Node::Function::kSize) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->position = position;
    node->op = op;
    node->function = function;
    node->children = std::move(children);
    for (const auto& child : node->children) node->depth = std::max(node->depth, child->depth + 1);
    if (node->depth > kMaxRuleDepth) {
      return ErrorAt(position, fmt::format("nested deeper than {} levels", kMaxRuleDepth));
    }
    if (auto status = Check(*node); !status.ok()) return status;
    return node;
  }

  absl::StatusOr<NodePtr> Literal(size_t position, Value value) {
    auto node = std::make_unique<Node>();
    node->position = position;
    node->literal = std::move(value);
    node->type = node->literal.kind;
    return node;
  }

  static std::vector<NodePtr> Children(NodePtr a, NodePtr b = nullptr) {
    std::vector<NodePtr> children;
    children.push_back(std::move(a));
    if (b) children.push_back(std::move(b));
    return children;
  }

  absl::StatusOr<NodePtr> ParseExpr() {
    // Counted on the way down, so "((((..." is refused before it is deep in the parser's stack.
    if (++nesting_ > kMaxRuleDepth) {
      return ErrorAt(Peek().position, fmt::format("nested deeper than {} levels", kMaxRuleDepth));
    }
    ROUTING_ASSIGN_OR_RETURN(expr, ParseLogical("||", Node::Kind::kOr));
    if (IsPunct("?")) {
      return ErrorAt(Peek().position, "the conditional operator '?:' is not supported");
    }
    --nesting_;
    return expr;
  }

  // `||` over `&&` chains, or `&&` over relations; a chain becomes one node.
  absl::StatusOr<NodePtr> ParseLogical(std::string_view op, Node::Kind kind) {
    auto operand = [&]() -> absl::StatusOr<NodePtr> {
      return kind == Node::Kind::kOr ? ParseLogical("&&", Node::Kind::kAnd) : ParseRelation();
    };
    ROUTING_ASSIGN_OR_RETURN(first, operand());
    if (!IsPunct(op)) return first;
    size_t position = Peek().position;
    std::vector<NodePtr> children;
    children.push_back(std::move(first));
    while (IsPunct(op)) {
      Take();
      ROUTING_ASSIGN_OR_RETURN(next, operand());
      children.push_back(std::move(next));
    }
    return Make(kind, position, std::move(children));
  }

  absl::StatusOr<NodePtr> ParseRelation() {
    static const std::pair<std::string_view, Node::Op> kOps[] = {
        {"==", Node::Op::kEq}, {"!=", Node::Op::kNe}, {"<", Node::Op::kLt},
        {"<=", Node::Op::kLe}, {">", Node::Op::kGt},  {">=", Node::Op::kGe}};
    ROUTING_ASSIGN_OR_RETURN(left, ParseArithmetic());
    while (true) {
      size_t position = Peek().position;
      if (Peek().kind == Token::Kind::kIdent && Peek().text == "in") {
        Take();
        ROUTING_ASSIGN_OR_RETURN(right, ParseArithmetic());
        ROUTING_ASSIGN_OR_RETURN(
            node, Make(Node::Kind::kIn, position, Children(std::move(left), std::move(right))));
        left = std::move(node);
        continue;
      }
      auto op = std::find_if(std::begin(kOps), std::end(kOps),
                             [&](const auto& entry) { return IsPunct(entry.first); });
      if (op == std::end(kOps)) return left;
      Take();
      ROUTING_ASSIGN_OR_RETURN(right, ParseArithmetic());
      ROUTING_ASSIGN_OR_RETURN(node, Make(Node::Kind::kCompare, position,
                                          Children(std::move(left), std::move(right)), op->second));
      left = std::move(node);
    }
  }

  // Dapr's routing docs use no arithmetic; it is refused by name rather than misparsed.
  absl::StatusOr<NodePtr> ParseArithmetic() {
    ROUTING_ASSIGN_OR_RETURN(operand, ParseUnary());
    for (std::string_view op : {"+", "-", "*", "/", "%"}) {
      if (IsPunct(op)) {
        return ErrorAt(Peek().position,
                       fmt::format("arithmetic ('{}') is not supported in routing rules", op));
      }
    }
    return operand;
  }

  absl::StatusOr<NodePtr> ParseUnary() {
    if (IsPunct("!")) {
      std::vector<size_t> positions;
      while (IsPunct("!")) positions.push_back(Take().position);
      ROUTING_ASSIGN_OR_RETURN(operand, ParseMember());
      for (auto p = positions.rbegin(); p != positions.rend(); ++p) {
        ROUTING_ASSIGN_OR_RETURN(node, Make(Node::Kind::kNot, *p, Children(std::move(operand))));
        operand = std::move(node);
      }
      return operand;
    }
    if (!IsPunct("-")) return ParseMember();
    std::vector<size_t> positions;
    while (IsPunct("-")) positions.push_back(Take().position);
    NodePtr operand;
    bool number = Peek().kind == Token::Kind::kInt || Peek().kind == Token::Kind::kDouble;
    if (number && !IsPunct(".", 1) && !IsPunct("[", 1)) {
      // A negative literal, so that -9223372036854775808 can be written.
      const Token& token = Take();
      size_t position = positions.back();
      positions.pop_back();
      if (token.kind == Token::Kind::kDouble) {
        ROUTING_ASSIGN_OR_RETURN(literal, Literal(position, Value::Double(-token.double_value)));
        operand = std::move(literal);
      } else {
        constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
        if (token.magnitude > kMinMagnitude) {
          return ErrorAt(token.position, "integer literal out of range");
        }
        int64_t value = token.magnitude == kMinMagnitude ? std::numeric_limits<int64_t>::min()
                                                         : -static_cast<int64_t>(token.magnitude);
        ROUTING_ASSIGN_OR_RETURN(literal, Literal(position, Value::Int(value)));
        operand = std::move(literal);
      }
    } else {
      ROUTING_ASSIGN_OR_RETURN(member, ParseMember());
      operand = std::move(member);
    }
    for (auto p = positions.rbegin(); p != positions.rend(); ++p) {
      ROUTING_ASSIGN_OR_RETURN(node, Make(Node::Kind::kNegate, *p, Children(std::move(operand))));
      operand = std::move(node);
    }
    return operand;
  }

  absl::StatusOr<std::vector<NodePtr>> ParseArguments(std::string_view close) {
    std::vector<NodePtr> args;
    while (!IsPunct(close)) {
      ROUTING_ASSIGN_OR_RETURN(arg, ParseExpr());
      args.push_back(std::move(arg));
      if (!IsPunct(",")) break;
      Take();
    }
    if (auto status = Expect(close); !status.ok()) return status;
    return args;
  }

  absl::StatusOr<NodePtr> ParseMember() {
    ROUTING_ASSIGN_OR_RETURN(node, ParsePrimary());
    while (true) {
      if (IsPunct(".")) {
        Take();
        const Token& name = Take();
        if (name.kind != Token::Kind::kIdent) {
          return ErrorAt(name.position, "expected a field name after '.', found " + Describe(name));
        }
        if (!IsPunct("(")) {
          ROUTING_ASSIGN_OR_RETURN(
              select, Make(Node::Kind::kSelect, name.position, Children(std::move(node))));
          select->field = name.text;
          node = std::move(select);
          continue;
        }
        static const std::pair<std::string_view, Node::Function> kMethods[] = {
            {"startsWith", Node::Function::kStartsWith},
            {"endsWith", Node::Function::kEndsWith},
            {"contains", Node::Function::kContains},
            {"size", Node::Function::kSize}};
        auto method = std::find_if(std::begin(kMethods), std::end(kMethods),
                                   [&](const auto& entry) { return entry.first == name.text; });
        if (method == std::end(kMethods)) {
          return ErrorAt(name.position,
                         fmt::format("method '{}' is not supported (supported: startsWith, "
                                     "endsWith, contains, size)",
                                     name.text));
        }
        Take();
        ROUTING_ASSIGN_OR_RETURN(args, ParseArguments(")"));
        size_t wanted = method->second == Node::Function::kSize ? 0 : 1;
        if (args.size() != wanted) {
          return ErrorAt(name.position,
                         fmt::format("{}() takes {} argument(s)", name.text, wanted));
        }
        args.insert(args.begin(), std::move(node));
        ROUTING_ASSIGN_OR_RETURN(call, Make(Node::Kind::kCall, name.position, std::move(args),
                                            Node::Op::kEq, method->second));
        node = std::move(call);
      } else if (IsPunct("[")) {
        size_t position = Take().position;
        ROUTING_ASSIGN_OR_RETURN(index, ParseExpr());
        if (auto status = Expect("]"); !status.ok()) return status;
        ROUTING_ASSIGN_OR_RETURN(indexed, Make(Node::Kind::kIndex, position,
                                               Children(std::move(node), std::move(index))));
        node = std::move(indexed);
      } else {
        return node;
      }
    }
  }

  absl::StatusOr<NodePtr> ParseCall(const Token& name) {
    static const std::pair<std::string_view, Node::Function> kFunctions[] = {
        {"size", Node::Function::kSize},
        {"int", Node::Function::kInt},
        {"uint", Node::Function::kUint},
        {"double", Node::Function::kDouble},
        {"string", Node::Function::kString}};
    Take();  // (
    if (name.text == "has") {
      ROUTING_ASSIGN_OR_RETURN(args, ParseArguments(")"));
      if (args.size() != 1 || args[0]->kind != Node::Kind::kSelect) {
        return ErrorAt(name.position, "has() takes one field selection, e.g. has(event.data.x)");
      }
      std::string field = std::move(args[0]->field);
      ROUTING_ASSIGN_OR_RETURN(has,
                               Make(Node::Kind::kHas, name.position, std::move(args[0]->children)));
      has->field = std::move(field);
      return has;
    }
    auto function = std::find_if(std::begin(kFunctions), std::end(kFunctions),
                                 [&](const auto& entry) { return entry.first == name.text; });
    if (function == std::end(kFunctions)) {
      return ErrorAt(name.position,
                     fmt::format("function '{}' is not supported (supported: has, size, int, "
                                 "uint, double, string)",
                                 name.text));
    }
    ROUTING_ASSIGN_OR_RETURN(args, ParseArguments(")"));
    if (args.size() != 1) {
      return ErrorAt(name.position, fmt::format("{}() takes 1 argument", name.text));
    }
    return Make(Node::Kind::kCall, name.position, std::move(args), Node::Op::kEq, function->second);
  }

  absl::StatusOr<NodePtr> ParsePrimary() {
    const Token& token = Peek();
    size_t position = token.position;
    switch (token.kind) {
      case Token::Kind::kInt:
        Take();
        if (token.magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return ErrorAt(position, "integer literal out of range");
        }
        return Literal(position, Value::Int(static_cast<int64_t>(token.magnitude)));
      case Token::Kind::kUint:
        Take();
        return Literal(position, Value::Uint(token.magnitude));
      case Token::Kind::kDouble:
        Take();
        return Literal(position, Value::Double(token.double_value));
      case Token::Kind::kString:
        Take();
        return Literal(position, Value::String(token.string_value));
      case Token::Kind::kIdent:
        break;
      case Token::Kind::kEnd:
        return ErrorAt(position, "unexpected end of the rule");
      case Token::Kind::kPunct:
        if (IsPunct("(")) {
          Take();
          ROUTING_ASSIGN_OR_RETURN(inner, ParseExpr());
          if (auto status = Expect(")"); !status.ok()) return status;
          return inner;
        }
        if (IsPunct("[")) {
          Take();
          ROUTING_ASSIGN_OR_RETURN(items, ParseArguments("]"));
          return Make(Node::Kind::kList, position, std::move(items));
        }
        if (IsPunct("{")) return ErrorAt(position, "map literals are not supported");
        if (IsPunct(".")) return ErrorAt(position, "qualified names ('.name') are not supported");
        return ErrorAt(position, "unexpected " + Describe(token));
    }
    const Token& name = Take();
    if (IsPunct("(")) return ParseCall(name);
    if (name.text == "true" || name.text == "false") {
      return Literal(position, Value::Bool(name.text == "true"));
    }
    if (name.text == "null") return Literal(position, Value::Null());
    if (name.text == "event") return Make(Node::Kind::kEvent, position, {});
    if (name.text == "in") return ErrorAt(position, "unexpected 'in'");
    return ErrorAt(position,
                   fmt::format("unknown variable '{}' (only 'event' is bound)", name.text));
  }

  std::vector<Token> tokens_;
  size_t next_ = 0;
  int nesting_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Parse(std::string_view text) {
  if (text.size() > kMaxRuleLength) {
    return absl::InvalidArgumentError(fmt::format(
        "the rule is {} bytes long; at most {} are accepted", text.size(), kMaxRuleLength));
  }
  ROUTING_ASSIGN_OR_RETURN(tokens, Lex(text));
  return Parser(std::move(tokens)).Run();
}

}  // namespace plughost::routing
