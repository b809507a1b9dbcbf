#include <catch2/catch.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "host/components/state_errors.h"

namespace plughost {

TEST_CASE("the ETag mark tells a malformed ETag from other INVALID_ARGUMENT errors") {
  grpc::Status marked = EtagInvalidError("etag \"x\" is not a version");
  CHECK(marked.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(marked.error_message() == "etag \"x\" is not a version");
  CHECK(IsEtagInvalid(marked));

  // The details are a well-formed google.rpc.Status, in case one ever reaches a client as is.
  google::rpc::Status details;
  REQUIRE(details.ParseFromString(marked.error_details()));
  CHECK(details.code() == static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  REQUIRE(details.details_size() == 1);
  google::rpc::BadRequest bad_request;
  REQUIRE(details.details(0).UnpackTo(&bad_request));
  REQUIRE(bad_request.field_violations_size() == 1);
  CHECK(bad_request.field_violations(0).field() == "etag");

  CHECK_FALSE(IsEtagInvalid(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad ttl")));
  // The mark on another code is not an ETag error.
  CHECK_FALSE(IsEtagInvalid(grpc::Status(grpc::StatusCode::ABORTED, "x", marked.error_details())));
  CHECK_FALSE(IsEtagInvalid(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "x", "garbage")));

  // A BadRequest about another field is not the mark.
  google::rpc::BadRequest other;
  other.add_field_violations()->set_field("key");
  google::rpc::Status other_details;
  other_details.set_code(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  other_details.add_details()->PackFrom(other);
  CHECK_FALSE(IsEtagInvalid(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "x", other_details.SerializeAsString())));
}

}  // namespace plughost
