// The CloudEvent an HTTP app receives for a topic event, as daprd posts it: the envelope rebuilt
// from the fields delivery hands over, written straight into the request's body. The event's
// data goes in once, copied or escaped in bulk, never through a JSON tree.
//
// Members, in key order: the extensions (the event's own attributes win a clash), `data` or
// `data_base64`, `datacontenttype`, `id`, `pubsubname`, `source`, `specversion` ("1.0" when
// empty), `topic`, `type`. The data is
//   - JSON, its bytes as they are, for a JSON content type (application/json, text/json,
//     anything +json) when it is JSON that ParseBoundedJson would keep;
//   - a JSON string for text/*, an empty content type, or JSON content that is not JSON;
//   - base64 in `data_base64` for anything else.
#pragma once

#include <string>
#include <string_view>

#include "dapr/proto/runtime/v1/appcallback.pb.h"

namespace plughost {

// Appends the envelope of one event (its own topic and pubsub name) to `out`.
void AppendCloudEvent(const dapr::proto::runtime::v1::TopicEventRequest& event, std::string* out);

// Appends the envelope of one entry of a bulk delivery on `topic` of `pubsub_name` to `out`.
void AppendCloudEvent(const dapr::proto::runtime::v1::TopicEventCERequest& event,
                      std::string_view topic, std::string_view pubsub_name, std::string* out);

// The body of an OnTopicEvent delivered to an HTTP app.
std::string CloudEventBody(const dapr::proto::runtime::v1::TopicEventRequest& event);

// About how many bytes the envelope of `event` takes, to reserve a buffer once.
size_t CloudEventSizeHint(const dapr::proto::runtime::v1::TopicEventCERequest& event);

}  // namespace plughost
