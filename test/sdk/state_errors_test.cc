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
  grpc::Status decoded =
      DecodeStateError(BulkDeleteRowMismatch(3, 1), StateOperation::kBulkDelete);
  CHECK(decoded.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(decoded.error_message() == "delete affected only 1 row(s), expected 3");
}

TEST_CASE("the SDK encodes what the host's own encoders produce", "[sdk]") {
  auto same_status = [](const grpc::Status& sdk, const grpc::Status& host) {
    CHECK(sdk.error_code() == host.error_code());
    CHECK(sdk.error_message() == host.error_message());
  };
  // No maps inside: the encodings are byte for byte the same.
  for (auto [sdk, host] : {std::pair{EtagMismatch("m"), EncodeEtagMismatch("m")},
                           std::pair{EtagInvalid("i"), EncodeEtagInvalid("i")}}) {
    same_status(sdk, host);
    CHECK(sdk.error_details() == host.error_details());
  }
  // ErrorInfo's metadata is a map, serialised in no fixed order: compare what it holds.
  grpc::Status sdk = BulkDeleteRowMismatch(5, 2);
  grpc::Status host = EncodeBulkDeleteRowMismatch(5, 2);
  same_status(sdk, host);
  google::rpc::Status sdk_rich = Details(sdk), host_rich = Details(host);
  CHECK(sdk_rich.code() == host_rich.code());
  CHECK(sdk_rich.message() == host_rich.message());
  REQUIRE(sdk_rich.details_size() == 1);
  REQUIRE(host_rich.details_size() == 1);
  google::rpc::ErrorInfo sdk_info, host_info;
  REQUIRE(sdk_rich.details(0).UnpackTo(&sdk_info));
  REQUIRE(host_rich.details(0).UnpackTo(&host_info));
  using Counts = std::map<std::string, std::string>;
  CHECK(Counts(sdk_info.metadata().begin(), sdk_info.metadata().end()) ==
        Counts(host_info.metadata().begin(), host_info.metadata().end()));
  CHECK(Counts(sdk_info.metadata().begin(), sdk_info.metadata().end()) ==
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
