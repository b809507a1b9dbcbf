#include "host/app_http/cloud_event_body.h"

#include "common/base64.h"
#include "common/equals_ignoring_case.h"
#include "host/app_http/extension_members.h"
#include "host/common/json_string.h"

namespace plughost {
namespace {

namespace appcallbackpb = ::dapr::proto::runtime::v1;

// What both event messages give the envelope.
struct EventFields {
  std::string_view id, source, type, spec_version, data_content_type, data;
  const google::protobuf::Struct* extensions;  // null when the event has none
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
  size_t data = form == DataForm::kBase64 ? Base64Length(event.data.size()) : event.data.size();
  return data + event.id.size() + event.source.size() + event.type.size() +
         event.data_content_type.size() + 512;
}

void AppendEnvelope(const EventFields& event, std::string_view topic, std::string_view pubsub_name,
                    std::string* out) {
  std::string_view json;
  DataForm form = FormOf(event, &json);
  out->reserve(out->size() + SizeHint(event, form));

  ExtensionMembers extension_members(event.extensions);
  const auto& extensions = extension_members.members();

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
      ExtensionMembers::Append(extensions[extension], out);
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
    ExtensionMembers::Append(extensions[extension], out);
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
