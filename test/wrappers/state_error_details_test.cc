#include "host/components/state_errors.h"
#include "wrappers/common/state_error_details.h"

#include <catch2/catch.hpp>

#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace plughost {
namespace {

grpc::Status WithDetails(grpc::StatusCode code, const std::string& message,
                         const google::rpc::Status& rich) {
  return grpc::Status(code, message, rich.SerializeAsString());
}

google::rpc::Status EtagBadRequest(grpc::StatusCode code, const std::string& field,
                                   const std::string& description) {
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field(field);
  violation->set_description(description);
  google::rpc::Status rich;
  rich.set_code(code);
  rich.set_message(description);
  rich.add_details()->PackFrom(bad_request);
  return rich;
}

google::rpc::Status RowMismatchInfo(const std::string& expected, const std::string& affected) {
  google::rpc::ErrorInfo info;
  (*info.mutable_metadata())["expected"] = expected;
  (*info.mutable_metadata())["affected"] = affected;
  google::rpc::Status rich;
  rich.set_code(grpc::StatusCode::INTERNAL);
  rich.set_message("rows");
  rich.add_details()->PackFrom(info);
  return rich;
}

// What a component sends, built by hand from Dapr's convention (docs/protocol.md), so the
// decoder is checked against the protocol and not against another encoder of ours.
grpc::Status EtagError(grpc::StatusCode code, const std::string& description) {
  return WithDetails(code, description, EtagBadRequest(code, "etag", description));
}

grpc::Status RowMismatch(int64_t expected, int64_t affected) {
  google::rpc::Status rich = RowMismatchInfo(std::to_string(expected), std::to_string(affected));
  rich.set_message("delete affected only " + std::to_string(affected) + " row(s), expected " +
                   std::to_string(expected));
  return WithDetails(grpc::StatusCode::INTERNAL, rich.message(), rich);
}

TEST_CASE("etag mismatch round-trips to ABORTED for writes and bulk deletes") {
  for (StateOperation op : {StateOperation::kWrite, StateOperation::kBulkDelete}) {
    grpc::Status decoded =
        DecodeStateError(EtagError(grpc::StatusCode::FAILED_PRECONDITION, "stale etag"), op);
    CHECK(decoded.error_code() == grpc::StatusCode::ABORTED);
    CHECK(decoded.error_message() == "stale etag");
    CHECK(IsEtagMismatch(decoded));  // marked: it came in Dapr's convention
  }
  // A bare ABORTED passes through unmarked (the conformance kit warns about it).
  grpc::Status bare =
      DecodeStateError(grpc::Status(grpc::StatusCode::ABORTED, "stale"), StateOperation::kWrite);
  CHECK(bare.error_code() == grpc::StatusCode::ABORTED);
  CHECK_FALSE(IsEtagMismatch(bare));
}

TEST_CASE("etag invalid round-trips to INVALID_ARGUMENT for writes and bulk deletes") {
  for (StateOperation op : {StateOperation::kWrite, StateOperation::kBulkDelete}) {
    grpc::Status decoded =
        DecodeStateError(EtagError(grpc::StatusCode::INVALID_ARGUMENT, "bad etag"), op);
    CHECK(decoded.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(decoded.error_message() == "bad etag");
    CHECK(IsEtagInvalid(decoded));  // so the API words it as a bad ETag
  }
}

TEST_CASE("a plain INVALID_ARGUMENT from a store is not taken for a bad etag") {
  for (StateOperation op : {StateOperation::kRead, StateOperation::kWrite}) {
    grpc::Status decoded =
        DecodeStateError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad ttl"), op);
    CHECK(decoded.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(decoded.error_message() == "bad ttl");
    CHECK_FALSE(IsEtagInvalid(decoded));
  }
}

TEST_CASE("row mismatch round-trips for bulk delete with both counts in the message") {
  grpc::Status decoded = DecodeStateError(RowMismatch(7, 2), StateOperation::kBulkDelete);
  CHECK(decoded.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(decoded.error_message() == "delete affected only 2 row(s), expected 7");
  CHECK(decoded.error_details().empty());
}

TEST_CASE("row mismatch details are ignored outside bulk delete") {
  grpc::Status original = RowMismatch(7, 2);
  grpc::Status decoded = DecodeStateError(
      grpc::Status(original.error_code(), "component said no", original.error_details()),
      StateOperation::kWrite);
  CHECK(decoded.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(decoded.error_message() == "component said no");
  CHECK(decoded.error_details().empty());
}

TEST_CASE("row mismatch with non-integer counts keeps the message and adds a note") {
  grpc::Status status =
      WithDetails(grpc::StatusCode::INTERNAL, "delete failed", RowMismatchInfo("five", "3"));
  grpc::Status decoded = DecodeStateError(status, StateOperation::kBulkDelete);
  CHECK(decoded.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(decoded.error_message().rfind("delete failed", 0) == 0);
  CHECK(decoded.error_message().find("five") != std::string::npos);
  CHECK(decoded.error_message() != "delete failed");
}

TEST_CASE("row mismatch with a missing count passes through") {
  google::rpc::ErrorInfo info;
  (*info.mutable_metadata())["expected"] = "4";
  google::rpc::Status rich;
  rich.set_code(grpc::StatusCode::INTERNAL);
  rich.add_details()->PackFrom(info);
  grpc::Status decoded = DecodeStateError(WithDetails(grpc::StatusCode::INTERNAL, "boom", rich),
                                          StateOperation::kBulkDelete);
  CHECK(decoded.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(decoded.error_message() == "boom");
}

TEST_CASE("etag details are ignored for reads and transactions") {
  for (StateOperation op : {StateOperation::kRead, StateOperation::kTransact}) {
    grpc::Status decoded =
        DecodeStateError(EtagError(grpc::StatusCode::FAILED_PRECONDITION, "stale etag"), op);
    CHECK(decoded.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(decoded.error_message() == "stale etag");
    CHECK(decoded.error_details().empty());
  }
}

TEST_CASE("two details are not Dapr's convention and pass through") {
  google::rpc::Status rich =
      EtagBadRequest(grpc::StatusCode::FAILED_PRECONDITION, "etag", "stale etag");
  *rich.add_details() = rich.details(0);
  grpc::Status decoded =
      DecodeStateError(WithDetails(grpc::StatusCode::FAILED_PRECONDITION, "outer message", rich),
                       StateOperation::kWrite);
  CHECK(decoded.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(decoded.error_message() == "outer message");
  CHECK(decoded.error_details().empty());
}

TEST_CASE("zero details pass through") {
  google::rpc::Status rich;
  rich.set_code(grpc::StatusCode::FAILED_PRECONDITION);
  grpc::Status decoded =
      DecodeStateError(WithDetails(grpc::StatusCode::FAILED_PRECONDITION, "outer message", rich),
                       StateOperation::kWrite);
  CHECK(decoded.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(decoded.error_message() == "outer message");
}

TEST_CASE("a field violation on another field passes through") {
  grpc::Status decoded = DecodeStateError(
      WithDetails(grpc::StatusCode::FAILED_PRECONDITION, "outer message",
                  EtagBadRequest(grpc::StatusCode::FAILED_PRECONDITION, "key", "bad key")),
      StateOperation::kWrite);
  CHECK(decoded.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(decoded.error_message() == "outer message");
}

TEST_CASE("two field violations pass through even if one is the etag") {
  google::rpc::BadRequest bad_request;
  auto* first = bad_request.add_field_violations();
  first->set_field("etag");
  first->set_description("stale");
  auto* second = bad_request.add_field_violations();
  second->set_field("key");
  second->set_description("bad");
  google::rpc::Status rich;
  rich.set_code(grpc::StatusCode::FAILED_PRECONDITION);
  rich.add_details()->PackFrom(bad_request);
  grpc::Status decoded =
      DecodeStateError(WithDetails(grpc::StatusCode::FAILED_PRECONDITION, "outer message", rich),
                       StateOperation::kWrite);
  CHECK(decoded.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(decoded.error_message() == "outer message");
}

TEST_CASE("an etag BadRequest under an unrelated code passes through") {
  grpc::Status decoded =
      DecodeStateError(WithDetails(grpc::StatusCode::UNAVAILABLE, "outer message",
                                   EtagBadRequest(grpc::StatusCode::UNAVAILABLE, "etag", "stale")),
                       StateOperation::kWrite);
  CHECK(decoded.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(decoded.error_message() == "outer message");
}

TEST_CASE("an ErrorInfo under FAILED_PRECONDITION is not an etag error") {
  google::rpc::Status rich = RowMismatchInfo("1", "0");
  rich.set_code(grpc::StatusCode::FAILED_PRECONDITION);
  grpc::Status decoded =
      DecodeStateError(WithDetails(grpc::StatusCode::FAILED_PRECONDITION, "outer message", rich),
                       StateOperation::kBulkDelete);
  CHECK(decoded.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(decoded.error_message() == "outer message");
}

TEST_CASE("undecodable details and plain statuses pass through unchanged") {
  grpc::Status garbage(grpc::StatusCode::FAILED_PRECONDITION, "outer message",
                       std::string("\xff\xff\xff\xff", 4));
  grpc::Status decoded = DecodeStateError(garbage, StateOperation::kWrite);
  CHECK(decoded.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(decoded.error_message() == "outer message");
  CHECK(decoded.error_details().empty());

  grpc::Status plain(grpc::StatusCode::NOT_FOUND, "no such key");
  decoded = DecodeStateError(plain, StateOperation::kBulkDelete);
  CHECK(decoded.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(decoded.error_message() == "no such key");

  CHECK(DecodeStateError(grpc::Status::OK, StateOperation::kWrite).ok());
}

// A kit error as a component sends it: one ErrorInfo with kit_error, http_code and tag.
grpc::Status KitErrorFromComponent(const std::string& http_code) {
  google::rpc::ErrorInfo info;
  info.set_reason("STORE_BUSY");
  info.set_domain("store.example");
  (*info.mutable_metadata())["kit_error"] = "true";
  (*info.mutable_metadata())["http_code"] = http_code;
  (*info.mutable_metadata())["tag"] = "ERR_BUSY";
  google::rpc::Status rich;
  rich.set_code(grpc::StatusCode::UNAVAILABLE);
  rich.set_message("busy, retry");
  rich.add_details()->PackFrom(info);
  return WithDetails(grpc::StatusCode::UNAVAILABLE, "busy, retry", rich);
}

TEST_CASE("a kit error keeps its code, message, reason and domain for every operation") {
  for (StateOperation op : {StateOperation::kRead, StateOperation::kWrite,
                            StateOperation::kBulkDelete, StateOperation::kTransact}) {
    grpc::Status decoded = DecodeStateError(KitErrorFromComponent("503"), op);
    CHECK(IsKitError(decoded));
    CHECK(decoded.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(decoded.error_message() == "busy, retry");
    google::rpc::Status rich;
    REQUIRE(rich.ParseFromString(decoded.error_details()));
    REQUIRE(rich.details_size() == 1);
    google::rpc::ErrorInfo info;
    REQUIRE(rich.details(0).UnpackTo(&info));
    CHECK(info.reason() == "STORE_BUSY");
    CHECK(info.domain() == "store.example");
    CHECK(info.metadata().empty());
  }
}

TEST_CASE("an ErrorInfo that is no kit error is not passed on") {
  // http_code must be an integer (daprd parses it with strconv.Atoi).
  grpc::Status decoded = DecodeStateError(KitErrorFromComponent("soon"), StateOperation::kRead);
  CHECK_FALSE(IsKitError(decoded));
  CHECK(decoded.error_details().empty());
  CHECK(decoded.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_FALSE(IsKitError(DecodeStateError(RowMismatch(2, 1), StateOperation::kBulkDelete)));
}

}  // namespace
}  // namespace plughost
