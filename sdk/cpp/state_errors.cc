#include "sdk/cpp/state_errors.h"

#include <charconv>
#include <string_view>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace plughost::sdk {
namespace {

namespace statepb = ::dapr::proto::components::v1;

// Dapr's readers expect the inner google.rpc.Status to repeat the trailer's code and message.
grpc::Status StatusWithDetail(grpc::StatusCode code, const std::string& message,
                              const google::protobuf::Message& detail) {
  google::rpc::Status rich;
  rich.set_code(static_cast<int32_t>(code));
  rich.set_message(message);
  rich.add_details()->PackFrom(detail);
  return grpc::Status(code, message, rich.SerializeAsString());
}

grpc::Status EtagFieldViolation(grpc::StatusCode code, const std::string& description) {
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field("etag");
  violation->set_description(description);
  return StatusWithDetail(code, description, bad_request);
}

std::string Quoted(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.append(1, '"').append(text).append(1, '"');
  return quoted;
}

std::optional<uint64_t> ParseVersion(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// daprd sends an Etag message only when the app gave one, but other clients may send an empty
// one; both mean "no ETag".
template <typename Request>
const std::string* EtagOf(const Request& request) {
  if (!request.has_etag() || request.etag().value().empty()) return nullptr;
  return &request.etag().value();
}

grpc::Status CompareEtag(const std::string& key, const std::string& etag,
                         std::optional<uint64_t> current_version) {
  std::optional<uint64_t> version = ParseVersion(etag);
  if (!version) {
    return EtagInvalid("invalid etag " + Quoted(etag) + " for key " + Quoted(key) +
                       ": expected a decimal version");
  }
  if (!current_version || *current_version != *version) {
    return EtagMismatch("etag " + Quoted(etag) + " does not match key " + Quoted(key));
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status EtagMismatch(const std::string& description) {
  return EtagFieldViolation(grpc::StatusCode::FAILED_PRECONDITION, description);
}

grpc::Status EtagInvalid(const std::string& description) {
  return EtagFieldViolation(grpc::StatusCode::INVALID_ARGUMENT, description);
}

grpc::Status BulkDeleteRowMismatch(int64_t expected, int64_t affected) {
  google::rpc::ErrorInfo info;
  (*info.mutable_metadata())["expected"] = std::to_string(expected);
  (*info.mutable_metadata())["affected"] = std::to_string(affected);
  return StatusWithDetail(grpc::StatusCode::INTERNAL,
                          "delete affected only " + std::to_string(affected) +
                              " row(s), expected " + std::to_string(expected),
                          info);
}

grpc::Status CheckVersionEtag(const statepb::SetRequest& request,
                              std::optional<uint64_t> current_version) {
  if (const std::string* etag = EtagOf(request)) {
    return CompareEtag(request.key(), *etag, current_version);
  }
  // First-write means "only if unchanged since I read it"; without an ETag the only state the
  // writer can have seen is "absent".
  if (request.options().concurrency() == statepb::StateOptions::CONCURRENCY_FIRST_WRITE &&
      current_version) {
    return EtagMismatch("key " + Quoted(request.key()) +
                        " already exists and first-write concurrency requires its etag");
  }
  return grpc::Status::OK;
}

grpc::Status CheckVersionEtag(const statepb::DeleteRequest& request,
                              std::optional<uint64_t> current_version) {
  if (const std::string* etag = EtagOf(request)) {
    return CompareEtag(request.key(), *etag, current_version);
  }
  return grpc::Status::OK;
}

}  // namespace plughost::sdk
