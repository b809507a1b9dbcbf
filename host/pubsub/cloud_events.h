// CloudEvents 1.0 envelopes as Dapr writes and reads them. On publish, an app's data is wrapped
// in a JSON envelope (or the app's own CloudEvent is completed); on delivery, the envelope a
// component hands back is taken apart into the TopicEventRequest apps receive.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <google/protobuf/map.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dapr/proto/components/v1/pubsub.pb.h"
#include "dapr/proto/runtime/v1/appcallback.pb.h"

namespace plughost::cloud_events {

using Metadata = google::protobuf::Map<std::string, std::string>;

inline constexpr char kContentType[] = "application/cloudevents+json";
// Request metadata: "true" sends the data without an envelope (and, on a subscription, has
// the payload delivered as is).
inline constexpr char kRawPayloadKey[] = "rawPayload";
// Request metadata: seconds until the event expires; expired events are dropped, not delivered.
inline constexpr char kTtlKey[] = "ttlInSeconds";
// Component feature: the broker enforces message TTLs itself, so no "expiration" is added.
inline constexpr char kFeatureMessageTtl[] = "MESSAGE_TTL";

// Content types as Dapr classifies them: case-insensitive, parameters after ';' ignored.
bool IsCloudEventContentType(std::string_view content_type);
bool IsJsonContentType(std::string_view content_type);
bool IsBinaryContentType(std::string_view content_type);
// text/* and application/xml.
bool IsTextContentType(std::string_view content_type);

// Metadata "rawPayload": absent or empty is false; otherwise one of Go's boolean spellings
// (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False), anything else an error.
absl::StatusOr<bool> IsRawPayload(const Metadata& metadata);

// What an app published.
struct Published {
  std::string_view app_id;
  std::string_view pubsub_name;
  std::string_view topic;
  std::string_view data_content_type;
  std::string_view data;
  const Metadata* metadata = nullptr;  // may hold "cloudevent.<field>" overrides and a TTL
  bool component_handles_ttl = false;  // the component reports MESSAGE_TTL
  // W3C trace context of the app's call ("traceparent"/"tracestate" metadata), when it sent one.
  std::string_view trace_parent;
  std::string_view trace_state;
};

// The JSON envelope to hand the component (content type application/cloudevents+json):
// - data_content_type application/cloudevents+json: the app's own event, given the topic,
//   pubsubname, trace fields and (when missing) time, source, type and specversion;
//   INVALID_ARGUMENT when it is not a JSON object;
// - otherwise a new event: id (UUID v4), source (the app id), type "com.dapr.event.sent",
//   specversion "1.0", datacontenttype (default text/plain), topic, pubsubname, time
//   (RFC 3339), and the data as a JSON value (JSON content types), base64 in data_base64
//   (application/octet-stream) or text. "cloudevent.id|source|type|subject|traceid|
//   traceparent|tracestate" metadata override those fields.
// With "ttlInSeconds" and a component that does not enforce TTLs, "expiration" is added.
absl::StatusOr<std::string> Envelope(const Published& event);

// What the host knows about a message a component delivered.
struct Received {
  std::string_view pubsub_name;
  std::string_view topic;
  std::string_view path;     // the app route, when the subscription names one
  bool raw_payload = false;  // the subscription asked for payloads without an envelope
};

enum class Decoded {
  kEvent,    // `out` holds the event to deliver
  kExpired,  // the event's "expiration" has passed: drop it (ack), do not deliver
};

// Fills `out` from `message`. A CloudEvent envelope gives id, source, type, spec_version,
// data_content_type, data (the JSON text of JSON data, the text of text data, the decoded
// data_base64) and every other field as an extension; a payload that is no CloudEvent (or a
// raw-payload subscription) is wrapped in a new one with a fresh id. An error (a data_base64
// that is not base64) means the message cannot be delivered as is: reject it.
absl::StatusOr<Decoded> ToTopicEvent(
    const dapr::proto::components::v1::PullMessagesResponse& message, const Received& received,
    dapr::proto::runtime::v1::TopicEventRequest* out);

// Helpers shared with tests.
std::string NewUuid();
std::string FormatRfc3339(std::chrono::system_clock::time_point time);
bool ParseRfc3339(std::string_view text, std::chrono::system_clock::time_point* time);
std::string Base64Encode(std::string_view data);
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace plughost::cloud_events
