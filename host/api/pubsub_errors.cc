#include "host/api/pubsub_errors.h"

#include <fmt/format.h>

namespace plughost::pubsub_errors {
namespace {

grpc::Status Invalid(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

}  // namespace

grpc::Status NameEmpty() { return Invalid("pubsub name is empty"); }

grpc::Status NotFound(std::string_view pubsub) {
  return Invalid(fmt::format("pubsub {} is not found", pubsub));
}

grpc::Status TopicEmpty(std::string_view pubsub) {
  return Invalid(fmt::format("topic is empty in pubsub {}", pubsub));
}

grpc::Status MetadataInvalid(std::string_view detail) {
  return Invalid(fmt::format("failed deserializing metadata. Error: {}", detail));
}

grpc::Status CloudEventCreation() { return Invalid("cannot create cloudevent"); }

grpc::Status BulkEntryIdInvalid(std::string_view topic, std::string_view pubsub) {
  return Invalid(fmt::format(
      "error marshaling events to bytes for topic {} pubsub {}. error: entryId is duplicated or "
      "not present for entry",
      topic, pubsub));
}

grpc::Status PublishFailed(std::string_view topic, std::string_view pubsub,
                           const grpc::Status& cause) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (cause.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      code = cause.error_code();
      break;
    default:
      break;
  }
  return grpc::Status(code, fmt::format("error when publishing to topic {} in pubsub {}: {}", topic,
                                        pubsub, cause.error_message()));
}

grpc::Status InitialRequestRequired() { return Invalid("initial request is required"); }
grpc::Status StreamPubsubNameRequired() { return Invalid("pubsubName is required"); }
grpc::Status StreamTopicRequired() { return Invalid("topic is required"); }
grpc::Status DuplicateInitialRequest() { return Invalid("duplicate initial request received"); }

}  // namespace plughost::pubsub_errors
