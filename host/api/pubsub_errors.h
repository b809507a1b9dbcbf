// The status codes and messages Dapr's runtime API gives for pub/sub calls, so apps and SDKs
// see the same errors from plughost (see pkg/api/errors/pubsub.go and pkg/api/grpc/subscribe.go
// in Dapr for the originals).
#pragma once

#include <string_view>

#include <grpcpp/support/status.h>

namespace plughost::pubsub_errors {

// INVALID_ARGUMENT "pubsub name is empty".
grpc::Status NameEmpty();
// INVALID_ARGUMENT "pubsub <name> is not found" (also when no pubsub is configured at all:
// Dapr answers the same way then).
grpc::Status NotFound(std::string_view pubsub);
// INVALID_ARGUMENT "topic is empty in pubsub <name>".
grpc::Status TopicEmpty(std::string_view pubsub);
// INVALID_ARGUMENT "failed deserializing metadata. Error: <detail>" (e.g. a bad rawPayload).
grpc::Status MetadataInvalid(std::string_view detail);
// INVALID_ARGUMENT "cannot create cloudevent" (data sent as application/cloudevents+json that
// is not a JSON object).
grpc::Status CloudEventCreation();
// INVALID_ARGUMENT "error marshaling events to bytes for topic <t> pubsub <p>. error: entryId is
// duplicated or not present for entry".
grpc::Status BulkEntryIdInvalid(std::string_view topic, std::string_view pubsub);
// "error when publishing to topic <t> in pubsub <p>: <cause>": INTERNAL, except that a component
// that is down or slow keeps UNAVAILABLE / DEADLINE_EXCEEDED / CANCELLED so the app can tell.
grpc::Status PublishFailed(std::string_view topic, std::string_view pubsub,
                           const grpc::Status& cause);

// SubscribeTopicEventsAlpha1, all INVALID_ARGUMENT with Dapr's texts.
grpc::Status InitialRequestRequired();    // "initial request is required"
grpc::Status StreamPubsubNameRequired();  // "pubsubName is required"
grpc::Status StreamTopicRequired();       // "topic is required"
grpc::Status DuplicateInitialRequest();   // "duplicate initial request received"

}  // namespace plughost::pubsub_errors
