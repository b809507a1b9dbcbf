#include "host/pubsub/routing_value.h"

#include <cmath>
#include <limits>
#include <utility>

namespace plughost::routing {
namespace {

using Kind = Value::Kind;

// 2^63 and 2^64 are exact doubles; every double in [-2^63, 2^63) truncates to an int64.
constexpr double kTwoTo63 = 9223372036854775808.0;
constexpr double kTwoTo64 = 18446744073709551616.0;

template <typename T>
int Sign(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Exact, unlike converting the integer to double (2^53 + 1 would then equal 2^53).
int CompareIntDouble(int64_t i, double d) {
  if (d >= kTwoTo63) return -1;
  if (d < -kTwoTo63) return 1;
  double whole = std::trunc(d);
  int by_whole = Sign(i, static_cast<int64_t>(whole));
  if (by_whole != 0) return by_whole;
  return Sign(0.0, d - whole);
}

int CompareUintDouble(uint64_t u, double d) {
  if (d >= kTwoTo64) return -1;
  if (d < 0) return 1;
  double whole = std::trunc(d);
  int by_whole = Sign(u, static_cast<uint64_t>(whole));
  if (by_whole != 0) return by_whole;
  return Sign(0.0, d - whole);
}

int CompareIntUint(int64_t i, uint64_t u) {
  if (i < 0) return -1;
  return Sign(static_cast<uint64_t>(i), u);
}

bool IsNaN(const Value& v) { return v.kind == Kind::kDouble && std::isnan(v.double_value); }

// Both are numbers and neither is NaN.
int CompareNumbers(const Value& a, const Value& b) {
  switch (a.kind) {
    case Kind::kInt:
      if (b.kind == Kind::kInt) return Sign(a.int_value, b.int_value);
      if (b.kind == Kind::kUint) return CompareIntUint(a.int_value, b.uint_value);
      return CompareIntDouble(a.int_value, b.double_value);
    case Kind::kUint:
      if (b.kind == Kind::kUint) return Sign(a.uint_value, b.uint_value);
      if (b.kind == Kind::kInt) return -CompareIntUint(b.int_value, a.uint_value);
      return CompareUintDouble(a.uint_value, b.double_value);
    default:
      if (b.kind == Kind::kDouble) return Sign(a.double_value, b.double_value);
      if (b.kind == Kind::kInt) return -CompareIntDouble(b.int_value, a.double_value);
      return -CompareUintDouble(b.uint_value, a.double_value);
  }
}

bool EqualsAt(const Value& a, const Value& b, int depth);

bool MapsEqual(const nlohmann::json& a, const nlohmann::json& b, int depth) {
  if (a.size() != b.size()) return false;
  for (auto it = a.begin(); it != a.end(); ++it) {
    auto other = b.find(it.key());
    if (other == b.end() || !EqualsAt(Value::FromJson(*it), Value::FromJson(*other), depth + 1)) {
      return false;
    }
  }
  return true;
}

// Recursion bound for comparing events the host did not parse with ParseBoundedJson.
constexpr int kMaxCompareDepth = 1000;

bool EqualsAt(const Value& a, const Value& b, int depth) {
  if (a.is_number() && b.is_number()) {
    return !IsNaN(a) && !IsNaN(b) && CompareNumbers(a, b) == 0;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.boolean == b.boolean;
    case Kind::kString:
      return a.string_value == b.string_value;
    case Kind::kList: {
      if (depth > kMaxCompareDepth) return false;
      size_t size = ListSize(a);
      if (size != ListSize(b)) return false;
      for (size_t i = 0; i < size; ++i) {
        if (!EqualsAt(ListAt(a, i), ListAt(b, i), depth + 1)) return false;
      }
      return true;
    }
    case Kind::kMap:  // maps only come from the event
      return depth <= kMaxCompareDepth && MapsEqual(*a.json, *b.json, depth);
    default:
      return false;
  }
}

}  // namespace

Value Value::Bool(bool b) { return {.kind = Kind::kBool, .boolean = b}; }

Value Value::Int(int64_t i) { return {.kind = Kind::kInt, .int_value = i}; }

Value Value::Uint(uint64_t u) { return {.kind = Kind::kUint, .uint_value = u}; }

Value Value::Double(double d) { return {.kind = Kind::kDouble, .double_value = d}; }

Value Value::String(std::string s) { return {.kind = Kind::kString, .string_value = std::move(s)}; }

Value Value::List(std::vector<Value> items) {
  return {.kind = Kind::kList, .items = std::move(items)};
}

Value Value::FromJson(const nlohmann::json& json) {
  using T = nlohmann::json::value_t;
  switch (json.type()) {
    case T::boolean:
      return Bool(json.get<bool>());
    case T::number_integer:
      return Int(json.get<int64_t>());
    case T::number_unsigned: {
      uint64_t u = json.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Int(static_cast<int64_t>(u));
      }
      return Double(static_cast<double>(u));
    }
    case T::number_float:
      return Double(json.get<double>());
    case T::string:
      return String(json.get_ref<const std::string&>());
    case T::array:
    case T::object: {
      Value v;
      v.kind = json.is_array() ? Kind::kList : Kind::kMap;
      v.json = &json;
      return v;
    }
    default:  // null, and binary/discarded, which parsed text never holds
      return Null();
  }
}

const char* TypeName(Value::Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null_type";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kUint:
      return "uint";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "map";
  }
  return "unknown";
}

size_t ListSize(const Value& list) { return list.json ? list.json->size() : list.items.size(); }

Value ListAt(const Value& list, size_t index) {
  return list.json ? Value::FromJson((*list.json)[index]) : list.items[index];
}

bool Equals(const Value& a, const Value& b) { return EqualsAt(a, b, 0); }

absl::StatusOr<int> Compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (IsNaN(a) || IsNaN(b)) return absl::InvalidArgumentError("NaN cannot be ordered");
    return CompareNumbers(a, b);
  }
  if (a.kind == b.kind && a.kind == Kind::kString) {
    // Byte order of UTF-8 is code point order.
    int c = a.string_value.compare(b.string_value);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.kind == b.kind && a.kind == Kind::kBool) return Sign(a.boolean, b.boolean);
  return absl::InvalidArgumentError(std::string("cannot order ") + TypeName(a.kind) + " and " +
                                    TypeName(b.kind));
}

}  // namespace plughost::routing
