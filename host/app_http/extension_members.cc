#include "host/app_http/extension_members.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/bounded_json.h"
#include "host/common/json_string.h"

namespace plughost {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Extensions are written as the JSON protobuf prints for the Struct, read back and dumped by
// nlohmann (how the envelope was first built). Nested values deeper than this, numbers that
// are not finite, text that is not UTF-8 and values of no kind take that road itself, so even
// protobuf's own refusals (which drop every extension) stay as they were.
constexpr int kMaxDirectDepth = 32;

bool WritableDirectly(const Value& value, int depth) {
  switch (value.kind_case()) {
    case Value::kNullValue:
    case Value::kBoolValue:
      return true;
    case Value::kNumberValue:
      return std::isfinite(value.number_value());
    case Value::kStringValue:
      return IsWellFormedUtf8(value.string_value());
    case Value::kStructValue:
      if (depth >= kMaxDirectDepth) return false;
      for (const auto& [key, field] : value.struct_value().fields()) {
        if (!IsWellFormedUtf8(key) || !WritableDirectly(field, depth + 1)) return false;
      }
      return true;
    case Value::kListValue:
      if (depth >= kMaxDirectDepth) return false;
      for (const auto& item : value.list_value().values()) {
        if (!WritableDirectly(item, depth + 1)) return false;
      }
      return true;
    default:
      return false;
  }
}

bool WritableDirectly(const Struct& extensions) {
  for (const auto& [key, field] : extensions.fields()) {
    if (!IsWellFormedUtf8(key) || !WritableDirectly(field, 1)) return false;
  }
  return true;
}

// A number as protobuf prints a Struct's (the shorter of %.15g and %.17g that reads back) and
// nlohmann then reads it: as an integer when it has neither '.' nor exponent, else as the same
// double, which nlohmann writes its own way. to_chars is printf's %g without the locale.
void AppendNumber(double number, std::string* out) {
  char text[32];
  char* end = std::to_chars(text, text + sizeof text, number, std::chars_format::general, 15).ptr;
  double read_back = 0;
  std::from_chars(text, end, read_back);
  if (read_back != number) {
    end = std::to_chars(text, text + sizeof text, number, std::chars_format::general, 17).ptr;
  }
  std::string_view printed(text, static_cast<size_t>(end - text));
  if (printed.find_first_of(".eE") != std::string_view::npos) {
    out->append(nlohmann::json(number).dump());
  } else {
    out->append(printed == "-0" ? "0" : printed);
  }
}

using Field = google::protobuf::Map<std::string, Value>::value_type;

// The members of `object` in key order, as nlohmann's std::map keeps them.
std::vector<const Field*> SortedFields(const Struct& object) {
  std::vector<const Field*> fields;
  fields.reserve(object.fields_size());
  for (const auto& field : object.fields()) fields.push_back(&field);
  std::sort(fields.begin(), fields.end(),
            [](const Field* a, const Field* b) { return a->first < b->first; });
  return fields;
}

void AppendValue(const Value& value, std::string* out) {
  switch (value.kind_case()) {
    case Value::kNumberValue:
      AppendNumber(value.number_value(), out);
      return;
    case Value::kStringValue:
      AppendJsonString(value.string_value(), out);
      return;
    case Value::kBoolValue:
      out->append(value.bool_value() ? "true" : "false");
      return;
    case Value::kStructValue: {
      out->push_back('{');
      bool first = true;
      for (const Field* field : SortedFields(value.struct_value())) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(field->first, out);
        out->push_back(':');
        AppendValue(field->second, out);
      }
      out->push_back('}');
      return;
    }
    case Value::kListValue: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : value.list_value().values()) {
        if (!first) out->push_back(',');
        first = false;
        AppendValue(item, out);
      }
      out->push_back(']');
      return;
    }
    default:  // null (other kinds never get here: WritableDirectly)
      out->append("null");
  }
}

}  // namespace

ExtensionMembers::ExtensionMembers(const Struct* extensions) {
  if (extensions == nullptr) return;
  if (WritableDirectly(*extensions)) {
    for (const Field* field : SortedFields(*extensions)) {
      members_.push_back({field->first, &field->second, nullptr});
    }
    return;
  }
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(*extensions, &text).ok()) return;
  tree_ = ParseBoundedJson(text);
  if (!tree_.is_object()) return;
  for (const auto& [key, value] : tree_.items()) members_.push_back({key, nullptr, &value});
}

void ExtensionMembers::Append(const Member& member, std::string* out) {
  AppendJsonString(member.key, out);
  out->push_back(':');
  if (member.direct != nullptr) {
    AppendValue(*member.direct, out);
  } else {
    out->append(member.tree->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

}  // namespace plughost
