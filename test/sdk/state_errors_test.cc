// The SDK's error helpers, read back by the host's own decoder (wrappers/common): what a
// component built on the SDK returns is exactly what the host turns into Dapr's app-facing codes.
#include "sdk/cpp/state_errors.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "wrappers/common/state_error_details.h"

namespace plughost::sdk {
namespace {

namespace statepb = ::dapr::proto::components::v1;

google::rpc::Status Details(const grpc::Status& status) {
  google::rpc::Status rich;
  REQUIRE(rich.ParseFromString(status.error_details()));
  return rich;
}

statepb::SetRequest SetWithEtag(const std::string& etag) {
  statepb::SetRequest request;
  request.set_key("k");
  if (!etag.empty()) request.mutable_etag()->set_value(etag);
  return request;
}

}  // namespace

TEST_CASE("EtagMismatch reaches the app as ABORTED with its description", "[sdk]") {
  grpc::Status status = EtagMismatch("etag \"3\" does not match key \"k\"");
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::Status rich = Details(status);
  CHECK(rich.code() == static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  CHECK(rich.message() == status.error_message());
  REQUIRE(rich.details_size() == 1);
  google::rpc::BadRequest bad_request;
  REQUIRE(rich.details(0).UnpackTo(&bad_request));
  REQUIRE(bad_request.field_violations_size() == 1);
  CHECK(bad_request.field_violations(0).field() == "etag");

  for (auto operation : {StateOperation::kWrite, StateOperation::kBulkDelete}) {
    grpc::Status decoded = DecodeStateError(status, operation);
    CHECK(decoded.error_code() == grpc::StatusCode::ABORTED);
    CHECK(decoded.error_message() == "etag \"3\" does not match key \"k\"");
  }
  // Dapr reads ETag details on writes only; on a read the component's code passes through.
  CHECK(DecodeStateError(status, StateOperation::kRead).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("EtagInvalid reaches the app as INVALID_ARGUMENT", "[sdk]") {
  grpc::Status decoded = DecodeStateError(EtagInvalid("bad etag"), StateOperation::kWrite);
  CHECK(decoded.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(decoded.error_message() == "bad etag");
}

TEST_CASE("BulkDeleteRowMismatch carries both counts to the host", "[sdk]") {
  grpc::Status decoded = DecodeStateError(BulkDeleteRowMismatch(3, 1), StateOperation::kBulkDelete);
  CHECK(decoded.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(decoded.error_message() == "delete affected only 1 row(s), expected 3");
}

TEST_CASE("BulkDeleteRowMismatch uses Dapr's ErrorInfo with base-10 counts", "[sdk]") {
  grpc::Status status = BulkDeleteRowMismatch(5, 2);
  CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
  google::rpc::Status rich = Details(status);
  CHECK(rich.code() == static_cast<int>(grpc::StatusCode::INTERNAL));
  CHECK(rich.message() == status.error_message());
  REQUIRE(rich.details_size() == 1);
  CHECK(rich.details(0).type_url() == "type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  REQUIRE(rich.details(0).UnpackTo(&info));
  using Counts = std::map<std::string, std::string>;
  CHECK(Counts(info.metadata().begin(), info.metadata().end()) ==
        Counts{{"affected", "2"}, {"expected", "5"}});
}

TEST_CASE("CheckVersionEtag applies Dapr's concurrency rules to decimal versions", "[sdk]") {
  auto decoded = [](const grpc::Status& status) {
    return DecodeStateError(status, StateOperation::kWrite).error_code();
  };
  // No ETag (or an empty one): last write wins, present or not.
  CHECK(CheckVersionEtag(SetWithEtag(""), std::nullopt).ok());
  CHECK(CheckVersionEtag(SetWithEtag(""), 7).ok());
  statepb::SetRequest empty_etag = SetWithEtag("");
  empty_etag.mutable_etag();
  CHECK(CheckVersionEtag(empty_etag, 7).ok());
  // The current version matches; any other, or any ETag for an absent key, does not.
  CHECK(CheckVersionEtag(SetWithEtag("7"), 7).ok());
  grpc::Status stale = CheckVersionEtag(SetWithEtag("6"), 7);
  CHECK(decoded(stale) == grpc::StatusCode::ABORTED);
  CHECK(stale.error_message() == "etag \"6\" does not match key \"k\"");
  CHECK(decoded(CheckVersionEtag(SetWithEtag("6"), std::nullopt)) == grpc::StatusCode::ABORTED);
  // Not a number: malformed, whatever the key holds.
  grpc::Status malformed = CheckVersionEtag(SetWithEtag("v7"), 7);
  CHECK(decoded(malformed) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(malformed.error_message(), Catch::Contains("expected a decimal version"));
  // First-write without an ETag: only an absent key may be written.
  statepb::SetRequest first_write = SetWithEtag("");
  first_write.mutable_options()->set_concurrency(statepb::StateOptions::CONCURRENCY_FIRST_WRITE);
  CHECK(CheckVersionEtag(first_write, std::nullopt).ok());
  CHECK(decoded(CheckVersionEtag(first_write, 1)) == grpc::StatusCode::ABORTED);

  statepb::DeleteRequest del;
  del.set_key("k");
  CHECK(CheckVersionEtag(del, std::nullopt).ok());
  del.mutable_etag()->set_value("2");
  CHECK(CheckVersionEtag(del, 2).ok());
  CHECK(decoded(CheckVersionEtag(del, 3)) == grpc::StatusCode::ABORTED);
  CHECK(decoded(CheckVersionEtag(del, std::nullopt)) == grpc::StatusCode::ABORTED);
}

}  // namespace plughost::sdk
