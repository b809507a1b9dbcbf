#include "host/app_http/bulk_event_body.h"

#include <algorithm>
#include <vector>

#include "common/base64.h"
#include "host/app_http/cloud_event_body.h"
#include "host/common/json_string.h"

namespace plughost {
namespace {

namespace appcallbackpb = ::dapr::proto::runtime::v1;
using Metadata = google::protobuf::Map<std::string, std::string>;

// A string map as a JSON object, keys in order.
void AppendMetadata(const Metadata& metadata, std::string* out) {
  std::vector<const Metadata::value_type*> sorted;
  sorted.reserve(metadata.size());
  for (const auto& item : metadata) sorted.push_back(&item);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  out->push_back('{');
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(sorted[i]->first, out);
    out->push_back(':');
    AppendJsonString(sorted[i]->second, out);
  }
  out->push_back('}');
}

void AppendEntry(const appcallbackpb::TopicEventBulkRequestEntry& entry,
                 const appcallbackpb::TopicEventBulkRequest& request, std::string* out) {
  out->push_back('{');
  if (!entry.content_type().empty()) {
    out->append("\"contentType\":");
    AppendJsonString(entry.content_type(), out);
    out->push_back(',');
  }
  out->append("\"entryId\":");
  AppendJsonString(entry.entry_id(), out);
  out->append(",\"event\":");
  if (entry.has_cloud_event()) {
    AppendCloudEvent(entry.cloud_event(), request.topic(), request.pubsub_name(), out);
  } else {
    out->push_back('"');
    AppendBase64(entry.bytes(), out);
    out->push_back('"');
  }
  out->append(",\"metadata\":");
  AppendMetadata(entry.metadata(), out);
  out->push_back('}');
}

}  // namespace

std::string BulkEventBody(const appcallbackpb::TopicEventBulkRequest& request) {
  size_t size = 512;
  for (const auto& entry : request.entries()) {
    size += entry.has_cloud_event() ? CloudEventSizeHint(entry.cloud_event())
                                    : Base64Length(entry.bytes().size()) + 256;
  }
  std::string body;
  body.reserve(size);
  body.append("{\"entries\":[");
  for (int i = 0; i < request.entries_size(); ++i) {
    if (i > 0) body.push_back(',');
    AppendEntry(request.entries(i), request, &body);
  }
  body.append("],\"id\":");
  AppendJsonString(request.id(), &body);
  body.append(",\"metadata\":");
  AppendMetadata(request.metadata(), &body);
  body.append(",\"pubsubname\":");
  AppendJsonString(request.pubsub_name(), &body);
  body.append(",\"topic\":");
  AppendJsonString(request.topic(), &body);
  body.append(",\"type\":");
  AppendJsonString(request.type(), &body);
  body.push_back('}');
  return body;
}

}  // namespace plughost
