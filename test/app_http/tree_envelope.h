// The HTTP app's event bodies as they were built before cloud_event_body.cc and
// bulk_event_body.cc: through an nlohmann::json tree. Kept here only as the reference the
// writers are compared with (and timed against).
#pragma once

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/bounded_json.h"
#include "dapr/proto/runtime/v1/appcallback.pb.h"

namespace plughost::tree_envelope {

using nlohmann::json;

inline std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

inline bool IsJsonContentType(std::string_view content_type) {
  std::string type = Lower(content_type.substr(0, content_type.find(';')));
  return type == "application/json" || type == "text/json" ||
         (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

template <typename Event>
json CloudEventObject(const Event& event, const std::string& topic,
                      const std::string& pubsub_name) {
  json envelope = json::object();
  if (event.has_extensions()) {
    std::string text;
    if (google::protobuf::util::MessageToJsonString(event.extensions(), &text).ok()) {
      json extensions = ParseBoundedJson(text);
      if (extensions.is_object()) envelope = std::move(extensions);
    }
  }
  envelope["id"] = event.id();
  envelope["source"] = event.source();
  envelope["type"] = event.type();
  envelope["specversion"] = event.spec_version().empty() ? "1.0" : event.spec_version();
  envelope["datacontenttype"] = event.data_content_type();
  envelope["topic"] = topic;
  envelope["pubsubname"] = pubsub_name;
  const std::string& data = event.data();
  std::string_view content_type = event.data_content_type();
  if (IsJsonContentType(content_type)) {
    json value = ParseBoundedJson(data);
    if (!value.is_discarded()) {
      envelope["data"] = std::move(value);
    } else {
      envelope["data"] = data;
    }
  } else if (content_type.empty() || Lower(content_type).rfind("text/", 0) == 0) {
    envelope["data"] = data;
  } else {
    envelope["data_base64"] = Base64Encode(data);
  }
  return envelope;
}

inline std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

inline std::string CloudEventBody(const dapr::proto::runtime::v1::TopicEventRequest& event) {
  return Dump(CloudEventObject(event, event.topic(), event.pubsub_name()));
}

inline std::string BulkBody(const dapr::proto::runtime::v1::TopicEventBulkRequest& request) {
  json entries = json::array();
  for (const auto& entry : request.entries()) {
    json item = {{"entryId", entry.entry_id()},
                 {"metadata", json(std::map<std::string, std::string>(entry.metadata().begin(),
                                                                      entry.metadata().end()))}};
    if (entry.has_cloud_event()) {
      item["event"] = CloudEventObject(entry.cloud_event(), request.topic(), request.pubsub_name());
    } else {
      item["event"] = Base64Encode(entry.bytes());
    }
    if (!entry.content_type().empty()) item["contentType"] = entry.content_type();
    entries.push_back(std::move(item));
  }
  json body = {{"id", request.id()},
               {"type", request.type()},
               {"topic", request.topic()},
               {"pubsubname", request.pubsub_name()},
               {"metadata", json(std::map<std::string, std::string>(request.metadata().begin(),
                                                                    request.metadata().end()))},
               {"entries", std::move(entries)}};
  return Dump(body);
}

}  // namespace plughost::tree_envelope
