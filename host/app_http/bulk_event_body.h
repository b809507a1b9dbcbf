// The body of a bulk delivery to an HTTP app (daprd's bulk envelope), written straight into one
// buffer: {"entries":[...],"id","metadata","pubsubname","topic","type"}, each entry
// {"contentType" (when set),"entryId","event","metadata"}, members in key order. An entry's
// event is its CloudEvent as an object (cloud_event_body.h), or, with rawPayload, the base64 of
// the message's bytes as a string.
#pragma once

#include <string>

#include "dapr/proto/runtime/v1/appcallback.pb.h"

namespace plughost {

std::string BulkEventBody(const dapr::proto::runtime::v1::TopicEventBulkRequest& request);

}  // namespace plughost
