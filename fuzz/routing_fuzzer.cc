// libFuzzer target: routing rules (host/pubsub/routing_expression.h). The input's first line is
// the rule, the rest the CloudEvent (JSON; a fixed event when it does not parse). Compiling must
// either succeed or fail with INVALID_ARGUMENT naming a position (or the length bound);
// evaluating a compiled rule must give a bool or INVALID_ARGUMENT, the same answer twice; never
// crash, leak, overflow the stack or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "host/pubsub/routing_expression.h"

namespace {

[[noreturn]] void Broken(const char* promise, std::string_view detail) {
  std::fprintf(stderr, "routing rules broke their promise: %s (%.*s)\n", promise,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

std::string Message(const absl::Status& status) {
  return std::string(status.message().data(), status.message().size());
}

void CheckError(const absl::Status& status, bool compiling) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    Broken("errors are INVALID_ARGUMENT", status.ToString());
  }
  std::string message = Message(status);
  bool positioned = message.rfind("position ", 0) == 0;
  bool too_long = compiling && message.rfind("the rule is ", 0) == 0;
  if (!positioned && !too_long) Broken("errors name a position", message);
}

const nlohmann::json& DefaultEvent() {
  static const nlohmann::json event = nlohmann::json::parse(R"({
    "specversion": "1.0", "id": "1", "source": "app", "type": "widget", "subject": "s",
    "datacontenttype": "application/json", "topic": "t", "pubsubname": "p", "ext": 1.5,
    "data": {"price": 150, "amount": 10.5, "important": true, "tags": ["a", "b"],
             "nested": {"x": {"y": null}}, "name": "caf\u00e9", "n": "12"}
  })");
  return event;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string_view rule = input.substr(0, newline);
  nlohmann::json parsed;
  if (newline != std::string_view::npos) {
    parsed = plughost::ParseBoundedJson(input.substr(newline + 1));
  }
  const nlohmann::json& event =
      newline == std::string_view::npos || parsed.is_discarded() ? DefaultEvent() : parsed;

  auto expression = plughost::RoutingExpression::Compile(rule);
  if (!expression.ok()) {
    CheckError(expression.status(), /*compiling=*/true);
    return 0;
  }
  if (expression->text() != rule) Broken("text() is the rule", expression->text());
  auto first = expression->Evaluate(event);
  auto second = expression->Evaluate(event);
  if (first.ok() != second.ok() || (first.ok() && *first != *second) ||
      (!first.ok() && first.status() != second.status())) {
    Broken("evaluation is deterministic", rule);
  }
  if (!first.ok()) CheckError(first.status(), /*compiling=*/false);
  return 0;
}
