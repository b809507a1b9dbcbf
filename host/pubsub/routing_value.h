// The values a routing rule computes with (CEL's null, bool, int, uint, double, string, list and
// map), and CEL's equality and ordering over them. Lists and maps read from the event point into
// it instead of copying it: a rule usually looks at a few fields of a large payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace plughost::routing {

struct Value {
  enum class Kind { kNull, kBool, kInt, kUint, kDouble, kString, kList, kMap };

  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  std::string string_value{};
  // A list or map taken from the event (borrowed: the event outlives the evaluation).
  const nlohmann::json* json = nullptr;
  // A list built by a list literal, when `json` is null.
  std::vector<Value> items{};

  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Uint(uint64_t u);
  static Value Double(double d);
  static Value String(std::string s);
  static Value List(std::vector<Value> items);

  // A JSON value as CEL sees it: integers are int (doubles beyond int's range, as Go's
  // float64 would read them), other numbers double, arrays lists, objects maps.
  static Value FromJson(const nlohmann::json& json);

  bool is_number() const {
    return kind == Kind::kInt || kind == Kind::kUint || kind == Kind::kDouble;
  }
};

// CEL's type name for messages: "int", "string", "map"...
const char* TypeName(Value::Kind kind);

size_t ListSize(const Value& list);
Value ListAt(const Value& list, size_t index);

// CEL's heterogeneous equality: numbers compare by value across int, uint and double (NaN equals
// nothing), lists and maps element by element, values of different types are simply unequal.
// Lists and maps nested more than 1000 levels deep compare unequal rather than exhaust the stack.
bool Equals(const Value& a, const Value& b);

// CEL's ordering: numbers across types, strings (by code point), bools; -1, 0 or 1. Any other
// pair, or a NaN, is an error.
absl::StatusOr<int> Compare(const Value& a, const Value& b);

}  // namespace plughost::routing
