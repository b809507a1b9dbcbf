#include "host/api/pubsub_errors.h"

#include <fmt/format.h>

#include "host/api/api_errors.h"

namespace plughost::pubsub_errors {
namespace {

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

// daprd's publish errors are all rich: an ErrorInfo with the reason, then a ResourceInfo naming
// the pubsub (its type is left empty here, as daprd leaves it for a pubsub it did not find).
grpc::Status Rich(const grpc::Status& status, std::string_view reason, std::string_view pubsub,
                  std::map<std::string, std::string> metadata = {}) {
  std::string message = status.error_message();
  return api_errors::WithDetails(status, api_errors::RichError{.reason = reason,
                                                               .metadata = std::move(metadata),
                                                               .resource_info = true,
                                                               .error_info_first = true,
                                                               .resource_name = pubsub,
                                                               .description = message});
}

}  // namespace

grpc::Status NameEmpty() {
  return Rich(Invalid("pubsub name is empty"), "DAPR_PUBSUB_NAME_EMPTY", "");
}

grpc::Status NotFound(std::string_view pubsub) {
  return Rich(Invalid(fmt::format("pubsub {} is not found", pubsub)), "DAPR_PUBSUB_NOT_FOUND",
              pubsub);
}

grpc::Status TopicEmpty(std::string_view pubsub) {
  return Rich(Invalid(fmt::format("topic is empty in pubsub {}", pubsub)),
              "DAPR_PUBSUB_TOPIC_NAME_EMPTY", pubsub);
}

grpc::Status MetadataInvalid(std::string_view detail) {
  return Rich(Invalid(fmt::format("failed deserializing metadata. Error: {}", detail)),
              "DAPR_PUBSUB_METADATA_DESERIALIZATION", "");
}

grpc::Status CloudEventCreation() {
  return Rich(Invalid("cannot create cloudevent"), "DAPR_PUBSUB_CLOUD_EVENT_CREATION", "");
}

grpc::Status BulkEntryIdInvalid(std::string_view topic, std::string_view pubsub) {
  return Rich(Invalid(fmt::format(
                  "error marshaling events to bytes for topic {} pubsub {}. error: entryId is "
                  "duplicated or not present for entry",
                  topic, pubsub)),
              "DAPR_PUBSUB_MARSHAL_EVENTS", pubsub);
}

grpc::Status PublishFailed(std::string_view topic, std::string_view pubsub,
                           const grpc::Status& cause) {
  return Rich(grpc::Status(api_errors::FailureCode(cause),
                           fmt::format("error when publishing to topic {} in pubsub {}: {}", topic,
                                       pubsub, cause.error_message())),
              "DAPR_PUBSUB_PUBLISH_MESSAGE", pubsub,
              {{"topic", std::string(topic)}, {"error", cause.error_message()}});
}

grpc::Status InitialRequestRequired() { return Invalid("initial request is required"); }
grpc::Status StreamPubsubNameRequired() { return Invalid("pubsubName is required"); }
grpc::Status StreamTopicRequired() { return Invalid("topic is required"); }
grpc::Status DuplicateInitialRequest() { return Invalid("duplicate initial request received"); }

}  // namespace plughost::pubsub_errors
