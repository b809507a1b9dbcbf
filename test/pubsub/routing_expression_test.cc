// Routing rules (host/pubsub/routing_expression.h): Dapr's documented examples, every operator
// and function of the subset, CEL's error semantics, and the refusals at compile time.
#include "host/pubsub/routing_expression.h"

#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using plughost::RoutingExpression;

json Widget() {
  return json::parse(R"({
    "specversion": "1.0", "id": "5929aaac-a5e2-4ca1-859c-edfe73f11565", "source": "orders-app",
    "type": "widget", "subject": "order/42", "datacontenttype": "application/json",
    "topic": "inventory", "pubsubname": "pubsub", "traceparent": "00-abc-def-01",
    "priority": "high", "retries": 3,
    "data": {
      "price": 150, "amount": 10500.5, "important": true, "priorityTier": "express",
      "name": "Widget Pr \u00e9", "tags": ["red", "big"], "empty": [], "nothing": null,
      "customer": {"id": "c-1", "address": {"country": "NL"}},
      "weird key": "x", "big": 9007199254740993, "negative": -7, "count": "12"
    }
  })");
}

bool Matches(std::string_view rule, const json& event = Widget()) {
  auto expression = RoutingExpression::Compile(rule);
  INFO(rule << " compiles: " << expression.status().ToString());
  REQUIRE(expression.ok());
  auto result = expression->Evaluate(event);
  INFO(rule << " evaluates: " << result.status().ToString());
  REQUIRE(result.ok());
  return *result;
}

std::string CompileError(std::string_view rule) {
  auto expression = RoutingExpression::Compile(rule);
  INFO(rule << " should not compile");
  REQUIRE_FALSE(expression.ok());
  CHECK(expression.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(expression.status().message());
}

std::string EvaluationError(std::string_view rule, const json& event = Widget()) {
  auto expression = RoutingExpression::Compile(rule);
  INFO(rule << " compiles: " << expression.status().ToString());
  REQUIRE(expression.ok());
  auto result = expression->Evaluate(event);
  INFO(rule << " should fail to evaluate");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

using Catch::Matchers::Contains;

}  // namespace

TEST_CASE("routing: the examples from Dapr's routing docs", "[routing]") {
  CHECK(Matches(R"(event.type == "widget")"));
  CHECK_FALSE(Matches(R"(event.type == "gadget")"));
  CHECK(Matches("event.data.price > 100"));
  CHECK(Matches("has(event.data.important) && event.data.important == true"));
  CHECK_FALSE(Matches("has(event.data.urgent) && event.data.urgent == true"));
  CHECK(Matches(R"(event.type == "widget" && int(event.data.amount) > 10000)"));
  CHECK(Matches("event.data.priorityTier == 'express'"));
  RoutingExpression rule = *RoutingExpression::Compile(R"(event.type == "widget")");
  CHECK(rule.text() == R"(event.type == "widget")");
}

TEST_CASE("routing: CloudEvent attributes, extensions and nested data", "[routing]") {
  CHECK(Matches(R"(event.source == "orders-app")"));
  CHECK(Matches(R"(event.id.startsWith("5929"))"));
  CHECK(Matches(R"(event.subject == "order/42")"));
  CHECK(Matches(R"(event.specversion == "1.0")"));
  CHECK(Matches(R"(event.datacontenttype == "application/json")"));
  CHECK(Matches(R"(event.topic == "inventory" && event.pubsubname == "pubsub")"));
  CHECK(Matches(R"(event.priority == "high" && event.retries == 3)"));
  CHECK(Matches(R"(event.data.customer.address.country == "NL")"));
  CHECK(Matches(R"(event.data["weird key"] == "x")"));
  CHECK(Matches(R"(event["data"]["customer"].id == "c-1")"));
  CHECK(Matches(R"(event.data.tags[1] == "big" && event.data.tags[0u] == "red")"));
  CHECK(Matches("event.data.nothing == null"));
}

TEST_CASE("routing: comparison operators", "[routing]") {
  CHECK(Matches("event.data.price == 150"));
  CHECK(Matches("event.data.price != 151"));
  CHECK(Matches("event.data.price < 151"));
  CHECK_FALSE(Matches("event.data.price < 150"));
  CHECK(Matches("event.data.price <= 150"));
  CHECK(Matches("event.data.price >= 150"));
  CHECK_FALSE(Matches("event.data.price > 150"));
  CHECK(Matches("event.data.negative < -6"));
  CHECK(Matches(R"("abc" < "abd" && "b" > "abc" && "a" <= "a")"));
  CHECK(Matches("false < true && true >= true"));
  CHECK(Matches("[1, 2] == [1, 2] && [1, 2] != [2, 1]"));
  CHECK(Matches(R"(event.data.customer == event.data.customer)"));
  CHECK(Matches("null == null"));
  // CEL's heterogeneous equality: values of different types are unequal, not an error.
  CHECK_FALSE(Matches(R"(event.data.price == "150")"));
  CHECK(Matches(R"(event.data.price != "150")"));
  CHECK_FALSE(Matches("event.data.nothing == 0"));
}

TEST_CASE("routing: numbers compare across int, uint and double as CEL does", "[routing]") {
  // JSON integers are ints and other numbers doubles; comparisons go by value across them.
  CHECK(Matches("event.data.price == 150.0"));
  CHECK(Matches("event.data.price == 150u"));
  CHECK(Matches("event.data.amount > 10500 && event.data.amount < 10501"));
  CHECK(Matches("1 == 1.0 && 2u > 1 && -1 < 0u && 1.5 > 1u"));
  CHECK_FALSE(Matches("1 == 1.5"));
  // Exact, not through double: 2^53 + 1 differs from 2^53.
  CHECK(Matches("event.data.big > 9007199254740992.0"));
  CHECK(Matches("9223372036854775807 < 9223372036854775808.0"));
  CHECK(Matches("-9223372036854775808 == -9223372036854775808.0"));
  CHECK(Matches("18446744073709551615u > 9223372036854775807"));
  CHECK_FALSE(Matches("double('NaN') == double('NaN')"));
  CHECK_THAT(EvaluationError("double('NaN') < 1"), Contains("NaN"));
}

TEST_CASE("routing: logical operators short-circuit and absorb errors as CEL does", "[routing]") {
  CHECK(Matches("true && true"));
  CHECK_FALSE(Matches("true && false"));
  CHECK(Matches("false || true"));
  CHECK_FALSE(Matches("false || false"));
  CHECK(Matches("!false && !!true"));
  CHECK(Matches("(false || true) && !(true && false)"));
  // An error on one side is absorbed when the other side decides, in either order.
  CHECK(Matches("event.data.missing == 1 || true"));
  CHECK(Matches("true || event.data.missing == 1"));
  CHECK_FALSE(Matches("event.data.missing == 1 && false"));
  CHECK_FALSE(Matches("false && event.data.missing == 1"));
  CHECK(Matches("event.type || true"));  // a non-bool operand is an error too
  CHECK_THAT(EvaluationError("event.data.missing == 1 || false"), Contains("missing"));
  CHECK_THAT(EvaluationError("true && event.data.missing"), Contains("missing"));
  CHECK_THAT(EvaluationError("!event.type"), Contains("string"));
  // Long chains stay flat, so they are not limited by the nesting depth.
  std::string chain = "true";
  for (int i = 0; i < 300; ++i) chain += " && true";
  CHECK(Matches(chain));
}

TEST_CASE("routing: in over list literals, event lists and map keys", "[routing]") {
  CHECK(Matches(R"(event.type in ["widget", "gadget"])"));
  CHECK_FALSE(Matches(R"(event.type in ["gadget"])"));
  CHECK(Matches(R"("big" in event.data.tags)"));
  CHECK(Matches("150 in [1, 150.0]"));
  CHECK(Matches(R"("price" in event.data && !("cost" in event.data))"));
  CHECK_FALSE(Matches("1 in event.data"));
  CHECK_FALSE(Matches("1 in []"));
  CHECK(Matches("[1] in [[1], [2]]"));
  CHECK_THAT(EvaluationError(R"("w" in event.type)"), Contains("string"));
}

TEST_CASE("routing: functions and methods", "[routing]") {
  CHECK(Matches(R"(event.type.startsWith("wid"))"));
  CHECK_FALSE(Matches(R"(event.type.startsWith("get"))"));
  CHECK(Matches(R"(event.type.endsWith("get"))"));
  CHECK_FALSE(Matches(R"(event.type.endsWith("widgets"))"));
  CHECK(Matches(R"(event.subject.contains("/"))"));
  CHECK_FALSE(Matches(R"(event.subject.contains("?"))"));
  CHECK(Matches(R"("".startsWith("") && "a".contains(""))"));
  // size counts code points (the name ends in an e with an accent, two bytes in UTF-8).
  CHECK(Matches("size(event.data.name) == 11 && event.data.name.size() == 11"));
  CHECK(Matches("size(event.data.tags) == 2 && event.data.empty.size() == 0"));
  CHECK(Matches("size(event.data.customer) == 2 && size([1, 2, 3]) == 3"));
  CHECK(Matches("int(event.data.amount) == 10500 && int(-1.9) == -1"));
  CHECK(Matches(R"(int(event.data.count) == 12 && int("-5") == -5 && int("+5") == 5)"));
  CHECK(Matches("int(3u) == 3 && int(-9.2e18) < 0"));
  CHECK(Matches(R"(uint(event.data.price) == 150u && uint("7") == 7u && uint(2.5) == 2u)"));
  CHECK(Matches(R"(double(event.data.price) == 150.0 && double("1e3") == 1000.0)"));
  CHECK(Matches(R"(string(event.data.price) == "150" && string(1.5) == "1.5")"));
  CHECK(Matches(R"(string(true) == "true" && string(3u) == "3" && string("s") == "s")"));
  // Doubles print as cel-go prints them (Go's shortest 'g').
  CHECK(
      Matches(R"(string(150.0) == "150" && string(0.0001) == "0.0001" && string(-2.5) == "-2.5")"));
  CHECK(Matches(R"(string(1234567.0) == "1.234567e+06" && string(0.00001) == "1e-05")"));
  CHECK(Matches(R"(string(123456.5) == "123456.5" && string(1e100) == "1e+100")"));
  CHECK(Matches(R"(string(double("inf")) == "+Inf" && string(double("NaN")) == "NaN")"));
  CHECK(Matches(R"(has(event.data.customer.address) && !has(event.data.customer.phone))"));
  CHECK(Matches(R"(has(event.subject) && !has(event.dataschema))"));
  CHECK(Matches("has(event.data.nothing)"));  // present, even if null
}

TEST_CASE("routing: literals", "[routing]") {
  CHECK(Matches(R"('single' == "single" && "it's" == 'it\'s')"));
  CHECK(Matches(R"("tab\there" == 'tab	here' && "\x41\101\u0041\U00000041" == "AAAA")"));
  CHECK(Matches(R"("\u00e9" == 'é' && size("\u00e9") == 1)"));
  CHECK(Matches(R"(r"a\n" == 'a\\n' && """tri"ple""" == 'tri"ple')"));
  CHECK(Matches("0x1F == 31 && 1e2 == 100.0 && 2.5e-1 == 0.25 && 7u == 7"));
  CHECK(Matches("-(1) == -1 && --2 == 2 && -1.5 < 0.0"));
  CHECK(Matches("[] == [] && [1, 'a', true, null,] == [1, 'a', true, null]"));
  CHECK(Matches("true != false // a comment"));
}

TEST_CASE("routing: a missing field or a type mismatch is an error, never a match", "[routing]") {
  CHECK_THAT(EvaluationError("event.data.missing > 100"), Contains("no such key 'missing'"));
  CHECK_THAT(EvaluationError("event.data.customer.phone == '1'"), Contains("phone"));
  CHECK_THAT(EvaluationError("has(event.data.missing.field)"), Contains("missing"));
  CHECK_THAT(EvaluationError("event.type.length == 1"), Contains("from a string"));
  CHECK_THAT(EvaluationError("event.data.tags[2] == 'x'"), Contains("out of range"));
  CHECK_THAT(EvaluationError("event.data['nope'] == 'x'"), Contains("nope"));
  CHECK_THAT(EvaluationError("event.data.price > 'a'"), Contains("cannot order int and string"));
  CHECK_THAT(EvaluationError("event.data.tags < [1]"), Contains("cannot order"));
  CHECK_THAT(EvaluationError("event.data.price.startsWith('1')"), Contains("int"));
  CHECK_THAT(EvaluationError("size(event.data.price) == 1"), Contains("size()"));
  CHECK_THAT(EvaluationError("int(event.data.important) == 1"), Contains("int()"));
  CHECK_THAT(EvaluationError("int('1.5') == 1"), Contains("not an integer"));
  CHECK_THAT(EvaluationError("int('+-1') == 1"), Contains("not an integer"));
  CHECK_THAT(EvaluationError("uint('+1') == 1u"), Contains("not an unsigned integer"));
  CHECK_THAT(EvaluationError("double('') == 1.0"), Contains("not a number"));
  CHECK_THAT(EvaluationError("int(1e19) == 1"), Contains("out of range"));
  CHECK_THAT(EvaluationError("uint(-1) == 1u"), Contains("out of range"));
  CHECK_THAT(EvaluationError("uint(-0.5) == 0u"), Contains("out of range"));
  CHECK_THAT(EvaluationError("int(-9223372036854775808.0) == 1"), Contains("out of range"));
  CHECK_THAT(EvaluationError("-(event.type) == 1"), Contains("string"));
  CHECK_THAT(EvaluationError("-(-9223372036854775808) == 1"), Contains("overflow"));
  // The result must be a bool.
  CHECK_THAT(EvaluationError("event.type"), Contains("yields a string, not a bool"));
  CHECK_THAT(EvaluationError("event.data.nothing"), Contains("null_type"));
  // An event that is not an object has no fields.
  CHECK_THAT(EvaluationError("event.type == 'x'", json::array()), Contains("from a list"));
  // Errors name the position of the construct that failed.
  CHECK_THAT(EvaluationError("true && event.data.missing"), Contains("position 20"));
}

TEST_CASE("routing: constructs outside the subset are refused at compile time", "[routing]") {
  CHECK_THAT(CompileError("event.data.price + 1 > 2"), Contains("position 18: arithmetic ('+')"));
  CHECK_THAT(CompileError("event.data.price * 2 > 2"), Contains("arithmetic ('*')"));
  CHECK_THAT(CompileError("event.data.a - 1 > 2"), Contains("arithmetic ('-')"));
  CHECK_THAT(CompileError("event.data.a % 2 == 0"), Contains("arithmetic ('%')"));
  CHECK_THAT(CompileError("event.data.ok ? true : false"), Contains("'?:'"));
  CHECK_THAT(CompileError("event.data.tags.exists(t, t == 'red')"), Contains("method 'exists'"));
  CHECK_THAT(CompileError("event.type.matches('w.*')"), Contains("method 'matches'"));
  CHECK_THAT(CompileError("type(event.type) == string"), Contains("function 'type'"));
  CHECK_THAT(CompileError("timestamp(event.time) > timestamp('2020-01-01T00:00:00Z')"),
             Contains("function 'timestamp'"));
  CHECK_THAT(CompileError("'a' in {'a': 1}"), Contains("map literals"));
  CHECK_THAT(CompileError("b'abc' == event.data"), Contains("bytes literals"));
  CHECK_THAT(CompileError("foo == 1"), Contains("unknown variable 'foo'"));
  CHECK_THAT(CompileError(".event.type == 'a'"), Contains("qualified names"));
  CHECK_THAT(CompileError("has(event)"), Contains("field selection"));
  CHECK_THAT(CompileError("has(event.data['x'])"), Contains("field selection"));
  CHECK_THAT(CompileError("size(event.data, 1) == 1"), Contains("size() takes 1"));
  CHECK_THAT(CompileError("event.type.startsWith() "), Contains("startsWith() takes 1"));
}

TEST_CASE("routing: syntax errors name the position", "[routing]") {
  CHECK_THAT(CompileError("event.type = 'a'"), Contains("position 12: '=' is not an operator"));
  CHECK_THAT(CompileError("event.type == 'a' & true"), Contains("'&'"));
  CHECK_THAT(CompileError("event.type | true"), Contains("'|'"));
  CHECK_THAT(CompileError("event.type == 'a"), Contains("position 15: unterminated string"));
  CHECK_THAT(CompileError("event.type == 'a\nb'"), Contains("unterminated"));
  CHECK_THAT(CompileError(R"(event.type == "\q")"), Contains("unknown escape"));
  CHECK_THAT(CompileError(R"(event.type == "\uD800")"), Contains("code point"));
  CHECK_THAT(CompileError("event.type =="), Contains("unexpected end"));
  CHECK_THAT(CompileError("(event.type == 'a'"), Contains("expected ')'"));
  CHECK_THAT(CompileError("event.type == 'a')"), Contains("position 18: unexpected ')'"));
  CHECK_THAT(CompileError("event. == 'a'"), Contains("expected a field name"));
  CHECK_THAT(CompileError("event.data.price > 12abc"), Contains("malformed number"));
  CHECK_THAT(CompileError("event.data.price > 99999999999999999999"), Contains("out of range"));
  CHECK_THAT(CompileError("event.data.price > 9223372036854775808"), Contains("out of range"));
  CHECK_THAT(CompileError("event.type == 'a' #"), Contains("unexpected character '#'"));
  CHECK_THAT(CompileError(""), Contains("unexpected end"));
  CHECK_THAT(CompileError("in"), Contains("unexpected 'in'"));
}

TEST_CASE("routing: type errors visible without the event are refused at compile time",
          "[routing]") {
  CHECK_THAT(CompileError("'widget'"), Contains("yields a string, not a bool"));
  CHECK_THAT(CompileError("1"), Contains("yields a int"));
  CHECK_THAT(CompileError("size(event.type)"), Contains("yields a int"));
  CHECK_THAT(CompileError("event.type == 'a' && 1"), Contains("take bools, not a int"));
  CHECK_THAT(CompileError("!'a'"), Contains("take bools"));
  CHECK_THAT(CompileError("'a' < 1"), Contains("string cannot be ordered against a int"));
  CHECK_THAT(CompileError("[1] < [2]"), Contains("cannot be ordered"));
  CHECK_THAT(CompileError("event.type in 'widget'"), Contains("list or a map"));
  CHECK_THAT(CompileError("size(1) == 1"), Contains("size() takes"));
  CHECK_THAT(CompileError("int(true) == 1"), Contains("int() takes"));
  CHECK_THAT(CompileError("string([1]) == ''"), Contains("string() takes"));
  CHECK_THAT(CompileError("event.type.startsWith(1)"), Contains("strings"));
  CHECK_THAT(CompileError("'abc'.x == 1"), Contains("map"));
  CHECK_THAT(CompileError("-'a' == 1"), Contains("'-' takes a number"));
}

TEST_CASE("routing: hostile rules are refused, not run out of stack", "[routing]") {
  // Deep parentheses, prefix chains, member chains and list nesting hit the depth limit.
  std::string parens = std::string(100000, '(') + "true" + std::string(100000, ')');
  CHECK_THAT(CompileError(parens), Contains("at most 4096"));
  std::string deep = std::string(200, '(') + "true" + std::string(200, ')');
  CHECK_THAT(CompileError(deep), Contains("nested deeper than 100 levels"));
  CHECK_THAT(CompileError(std::string(150, '!') + "true"), Contains("nested deeper"));
  std::string members = "event";
  for (int i = 0; i < 150; ++i) members += ".a";
  CHECK_THAT(CompileError(members + " == 1"), Contains("nested deeper"));
  CHECK_THAT(CompileError(std::string(150, '[') + std::string(150, ']') + " == []"),
             Contains("nested deeper"));
  CHECK_THAT(CompileError(std::string(150, '-') + "1 == 1"), Contains("nested deeper"));
  // An event nested far deeper than ParseBoundedJson allows still compares without recursing
  // without bound: past 1000 levels values compare unequal.
  json deep_event =
      json::parse(R"({"data": )" + std::string(100000, '[') + std::string(100000, ']') + "}");
  CHECK_FALSE(Matches("event.data == event.data", deep_event));
  CHECK(Matches("event.data != [] && size(event.data) == 1", deep_event));
  // Nesting within the limit is fine.
  std::string ok = std::string(40, '(') + "event.type == 'widget'" + std::string(40, ')');
  CHECK(Matches(ok));
}

TEST_CASE("routing: an expression can be moved and evaluated many times", "[routing]") {
  auto compiled = RoutingExpression::Compile("event.data.price > 100");
  REQUIRE(compiled.ok());
  RoutingExpression moved = std::move(*compiled);
  json cheap = Widget();
  cheap["data"]["price"] = 5;
  CHECK(*moved.Evaluate(Widget()));
  CHECK_FALSE(*moved.Evaluate(cheap));
  RoutingExpression other = *RoutingExpression::Compile("true");
  other = std::move(moved);
  CHECK(other.text() == "event.data.price > 100");
  CHECK(*other.Evaluate(Widget()));
}
