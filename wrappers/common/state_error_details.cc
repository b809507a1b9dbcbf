#include "wrappers/common/state_error_details.h"

#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include "host/components/state_errors.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace plughost {
namespace {

constexpr char kEtagField[] = "etag";
constexpr char kExpectedKey[] = "expected";
constexpr char kAffectedKey[] = "affected";
constexpr char kKitErrorKey[] = "kit_error";
constexpr char kHttpCodeKey[] = "http_code";

// What the host keeps of a status it does not recognise: the code and message. The binary
// details are dropped because they describe the component's protocol, not the host's.
grpc::Status PassThrough(const grpc::Status& status) {
  return grpc::Status(status.error_code(), status.error_message());
}

// Dapr parses the counts with Go's strconv.Atoi: base 10, optional sign, the whole string.
std::optional<int64_t> ParseInt64(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The description of a BadRequest holding exactly one "etag" violation, if `detail` is one.
std::optional<std::string> EtagViolation(const google::protobuf::Any& detail) {
  google::rpc::BadRequest bad_request;
  if (!detail.Is<google::rpc::BadRequest>() || !detail.UnpackTo(&bad_request)) {
    return std::nullopt;
  }
  if (bad_request.field_violations_size() != 1) return std::nullopt;
  const auto& violation = bad_request.field_violations(0);
  if (violation.field() != kEtagField) return std::nullopt;
  return violation.description();
}

grpc::Status DecodeRowMismatch(const grpc::Status& status, const google::protobuf::Any& detail) {
  google::rpc::ErrorInfo info;
  if (!detail.Is<google::rpc::ErrorInfo>() || !detail.UnpackTo(&info)) {
    return PassThrough(status);
  }
  const auto& metadata = info.metadata();
  auto expected_it = metadata.find(kExpectedKey);
  auto affected_it = metadata.find(kAffectedKey);
  // Without both counts this is some other ErrorInfo (e.g. a "kit" error); leave it alone.
  if (expected_it == metadata.end() || affected_it == metadata.end()) return PassThrough(status);

  std::optional<int64_t> expected = ParseInt64(expected_it->second);
  std::optional<int64_t> affected = ParseInt64(affected_it->second);
  if (!expected || !affected) {
    // The component meant a row mismatch but sent unusable counts: keep its words and say why
    // they could not be read, rather than inventing numbers.
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        status.error_message() +
                            " (row-mismatch details not integers: expected=\"" +
                            expected_it->second + "\", affected=\"" + affected_it->second + "\")");
  }
  return grpc::Status(grpc::StatusCode::INTERNAL,
                      "delete affected only " + std::to_string(*affected) + " row(s), expected " +
                          std::to_string(*expected));
}

// A "kit" error: one ErrorInfo whose metadata says kit_error "true" with an integer http_code.
// daprd keeps the component's code and message and the ErrorInfo's reason and domain (not its
// metadata), for every state operation, before any other convention.
std::optional<grpc::Status> DecodeKitError(const grpc::Status& status,
                                           const google::protobuf::Any& detail) {
  google::rpc::ErrorInfo info;
  if (!detail.Is<google::rpc::ErrorInfo>() || !detail.UnpackTo(&info)) return std::nullopt;
  auto kit = info.metadata().find(kKitErrorKey);
  auto http_code = info.metadata().find(kHttpCodeKey);
  if (kit == info.metadata().end() || kit->second != "true" || http_code == info.metadata().end() ||
      !ParseInt64(http_code->second)) {
    return std::nullopt;
  }
  return KitError(status.error_code(), status.error_message(), info.domain(), info.reason());
}

grpc::Status Decode(const grpc::Status& status, StateOperation operation) {
  if (status.ok() || status.error_details().empty()) return PassThrough(status);

  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return PassThrough(status);
  // Dapr ignores details unless there is exactly one; anything else is not its convention.
  if (rich.details_size() != 1) return PassThrough(status);
  const google::protobuf::Any& detail = rich.details(0);
  if (auto kit = DecodeKitError(status, detail)) return *kit;
  if (operation != StateOperation::kWrite && operation != StateOperation::kBulkDelete) {
    return PassThrough(status);
  }

  switch (status.error_code()) {
    case grpc::StatusCode::FAILED_PRECONDITION:
      if (auto description = EtagViolation(detail)) {
        // Marked, so the conformance kit can tell it from a bare ABORTED daprd would refuse.
        return EtagMismatchError(*description);
      }
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      if (auto description = EtagViolation(detail)) {
        // Kept marked, so the API words it as a bad ETag and not as the store's own refusal.
        return EtagInvalidError(*description);
      }
      break;
    case grpc::StatusCode::INTERNAL:
      if (operation == StateOperation::kBulkDelete) return DecodeRowMismatch(status, detail);
      break;
    default:
      break;
  }
  return PassThrough(status);
}

}  // namespace

grpc::Status DecodeStateError(const grpc::Status& component_status, StateOperation operation) {
  // Callers run this inside gRPC reactions, where an escaping exception would hang the app's
  // call; the only thing that can throw here is allocation, and then the plain status is safest.
  try {
    return Decode(component_status, operation);
  } catch (...) {
    return grpc::Status(component_status.error_code(), component_status.error_message());
  }
}

}  // namespace plughost
