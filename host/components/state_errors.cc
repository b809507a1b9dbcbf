#include "host/components/state_errors.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace plughost {
namespace {

constexpr char kEtagField[] = "etag";

// `code` with `description` and the ETag mark as details.
grpc::Status MarkedEtagError(grpc::StatusCode code, const std::string& description) {
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field(kEtagField);
  violation->set_description(description);
  // The details are a whole google.rpc.Status agreeing with the outer code and message, so a
  // status that reached an app unchanged would still carry well-formed details.
  google::rpc::Status details;
  details.set_code(static_cast<int32_t>(code));
  details.set_message(description);
  details.add_details()->PackFrom(bad_request);
  return grpc::Status(code, description, details.SerializeAsString());
}

bool HasEtagMark(const grpc::Status& status, grpc::StatusCode code) {
  if (status.error_code() != code || status.error_details().empty()) return false;
  google::rpc::Status details;
  google::rpc::BadRequest bad_request;
  // Exactly one detail, as Dapr reads it; anything else is not the mark.
  if (!details.ParseFromString(status.error_details()) || details.details_size() != 1 ||
      !details.details(0).UnpackTo(&bad_request)) {
    return false;
  }
  return bad_request.field_violations_size() == 1 &&
         bad_request.field_violations(0).field() == kEtagField;
}

}  // namespace

grpc::Status EtagInvalidError(const std::string& description) {
  return MarkedEtagError(grpc::StatusCode::INVALID_ARGUMENT, description);
}

bool IsEtagInvalid(const grpc::Status& status) {
  return HasEtagMark(status, grpc::StatusCode::INVALID_ARGUMENT);
}

grpc::Status EtagMismatchError(const std::string& description) {
  return MarkedEtagError(grpc::StatusCode::ABORTED, description);
}

bool IsEtagMismatch(const grpc::Status& status) {
  return HasEtagMark(status, grpc::StatusCode::ABORTED);
}

grpc::Status KitError(grpc::StatusCode code, const std::string& message, const std::string& domain,
                      const std::string& reason) {
  google::rpc::ErrorInfo info;
  info.set_domain(domain);
  info.set_reason(reason);
  google::rpc::Status details;
  details.set_code(static_cast<int32_t>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

bool IsKitError(const grpc::Status& status) {
  if (status.ok() || status.error_details().empty()) return false;
  google::rpc::Status details;
  return details.ParseFromString(status.error_details()) && details.details_size() == 1 &&
         details.details(0).Is<google::rpc::ErrorInfo>();
}

}  // namespace plughost
