#include "host/app_http/cloud_event_body.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/bounded_json.h"
#include "host/common/json_string.h"

namespace plughost {
namespace {

namespace appcallbackpb = ::dapr::proto::runtime::v1;
using google::protobuf::Struct;
using google::protobuf::Value;

// What both event messages give the envelope.
struct EventFields {
  std::string_view id, source, type, spec_version, data_content_type, data;
  const Struct* extensions;  // null when the event has none
};

template <typename Event>
EventFields FieldsOf(const Event& event) {
  return {event.id(),
          event.source(),
          event.type(),
          event.spec_version(),
          event.data_content_type(),
          event.data(),
          event.has_extensions() ? &event.extensions() : nullptr};
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Whether `text` is `lower` (already lower case) in any case.
bool EqualsIgnoringCase(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() && std::equal(text.begin(), text.end(), lower.begin(),
                                                   [](char a, char b) { return Lower(a) == b; });
}

// application/json, text/json or any +json type, in any case; parameters after ';' do not count
// (and nothing is trimmed).
bool IsJsonContentType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  return EqualsIgnoringCase(type, "application/json") || EqualsIgnoringCase(type, "text/json") ||
         (type.size() > 5 && EqualsIgnoringCase(type.substr(type.size() - 5), "+json"));
}

// No content type, or text/*.
bool IsTextContentType(std::string_view content_type) {
  return content_type.empty() ||
         (content_type.size() >= 5 && EqualsIgnoringCase(content_type.substr(0, 5), "text/"));
}

enum class DataForm { kJson, kString, kBase64 };

// How the data goes in; for kJson, `*json` is the document to copy.
DataForm FormOf(const EventFields& event, std::string_view* json) {
  std::string_view type = event.data_content_type;
  if (IsJsonContentType(type)) {
    return ValidateJson(event.data, json) ? DataForm::kJson : DataForm::kString;
  }
  return IsTextContentType(type) ? DataForm::kString : DataForm::kBase64;
}

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

// One extension member: a Struct field written directly, or a member of the tree.
struct Extension {
  std::string_view key;
  const Value* direct = nullptr;
  const nlohmann::json* tree = nullptr;
};

void AppendExtension(const Extension& extension, std::string* out) {
  AppendJsonString(extension.key, out);
  out->push_back(':');
  if (extension.direct != nullptr) {
    AppendValue(*extension.direct, out);
  } else {
    out->append(extension.tree->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

void AppendData(const EventFields& event, DataForm form, std::string_view json, std::string* out) {
  switch (form) {
    case DataForm::kJson:
      out->append(json);
      return;
    case DataForm::kString:
      AppendJsonString(event.data, out);
      return;
    case DataForm::kBase64:
      out->push_back('"');
      AppendBase64(event.data, out);
      out->push_back('"');
      return;
  }
}

size_t SizeHint(const EventFields& event, DataForm form) {
  size_t data = form == DataForm::kBase64 ? (event.data.size() + 2) / 3 * 4 : event.data.size();
  return data + event.id.size() + event.source.size() + event.type.size() +
         event.data_content_type.size() + 512;
}

void AppendEnvelope(const EventFields& event, std::string_view topic, std::string_view pubsub_name,
                    std::string* out) {
  std::string_view json;
  DataForm form = FormOf(event, &json);
  out->reserve(out->size() + SizeHint(event, form));

  std::vector<Extension> extensions;
  nlohmann::json tree;  // only for extensions that are not written directly
  if (event.extensions != nullptr) {
    if (WritableDirectly(*event.extensions)) {
      for (const Field* field : SortedFields(*event.extensions)) {
        extensions.push_back({field->first, &field->second, nullptr});
      }
    } else {
      std::string text;
      if (google::protobuf::util::MessageToJsonString(*event.extensions, &text).ok()) {
        tree = ParseBoundedJson(text);
        if (tree.is_object()) {
          for (const auto& [key, value] : tree.items())
            extensions.push_back({key, nullptr, &value});
        }
      }
    }
  }

  // The envelope's own members in key order; each may pass extensions that sort before it.
  enum Own { kData, kDataContentType, kId, kPubsubName, kSource, kSpecVersion, kTopic, kType };
  constexpr std::string_view kKeys[] = {"data",   "datacontenttype", "id",    "pubsubname",
                                        "source", "specversion",     "topic", "type"};
  out->push_back('{');
  bool first = true;
  auto next_member = [&] {
    if (!first) out->push_back(',');
    first = false;
  };
  size_t extension = 0;
  for (int own = kData; own <= kType; ++own) {
    std::string_view key = own == kData && form == DataForm::kBase64 ? "data_base64" : kKeys[own];
    for (; extension < extensions.size() && extensions[extension].key < key; ++extension) {
      next_member();
      AppendExtension(extensions[extension], out);
    }
    if (extension < extensions.size() && extensions[extension].key == key) ++extension;
    next_member();
    out->push_back('"');
    out->append(key);
    out->append("\":");
    switch (own) {
      case kData:
        AppendData(event, form, json, out);
        break;
      case kDataContentType:
        AppendJsonString(event.data_content_type, out);
        break;
      case kId:
        AppendJsonString(event.id, out);
        break;
      case kPubsubName:
        AppendJsonString(pubsub_name, out);
        break;
      case kSource:
        AppendJsonString(event.source, out);
        break;
      case kSpecVersion:
        AppendJsonString(event.spec_version.empty() ? "1.0" : event.spec_version, out);
        break;
      case kTopic:
        AppendJsonString(topic, out);
        break;
      case kType:
        AppendJsonString(event.type, out);
        break;
    }
  }
  for (; extension < extensions.size(); ++extension) {
    next_member();
    AppendExtension(extensions[extension], out);
  }
  out->push_back('}');
}

}  // namespace

void AppendCloudEvent(const appcallbackpb::TopicEventRequest& event, std::string* out) {
  AppendEnvelope(FieldsOf(event), event.topic(), event.pubsub_name(), out);
}

void AppendCloudEvent(const appcallbackpb::TopicEventCERequest& event, std::string_view topic,
                      std::string_view pubsub_name, std::string* out) {
  AppendEnvelope(FieldsOf(event), topic, pubsub_name, out);
}

std::string CloudEventBody(const appcallbackpb::TopicEventRequest& event) {
  std::string body;
  AppendCloudEvent(event, &body);
  return body;
}

size_t CloudEventSizeHint(const appcallbackpb::TopicEventCERequest& event) {
  EventFields fields = FieldsOf(event);
  std::string_view type = fields.data_content_type;
  bool binary = !IsJsonContentType(type) && !IsTextContentType(type);
  return SizeHint(fields, binary ? DataForm::kBase64 : DataForm::kString);
}

}  // namespace plughost
