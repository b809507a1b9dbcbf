#include <catch2/catch.hpp>

#include "host/api/api_errors.h"
#include "host/state/state_keys.h"
#include "host/components/state_errors.h"

namespace plughost {

TEST_CASE("state key prefixes follow Dapr's keyPrefix strategies") {
  CHECK(*StateKeyPrefix({}, "store", "app") == "app");
  CHECK(*StateKeyPrefix({}, "store", "") == "");
  CHECK(*StateKeyPrefix({{"keyPrefix", "none"}}, "store", "app") == "");
  CHECK(*StateKeyPrefix({{"KEYPREFIX", "Name"}}, "store", "app") == "store");
  CHECK(*StateKeyPrefix({{"keyPrefix", "custom"}}, "store", "app") == "custom");
  CHECK_FALSE(StateKeyPrefix({{"keyPrefix", "a||b"}}, "store", "app").ok());

  CHECK(*PrefixedStateKey("app", "k") == "app||k");
  CHECK(*PrefixedStateKey("", "k") == "k");
  auto refused = PrefixedStateKey("app", "a||b");
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(std::string(refused.status().message()), Catch::Contains("can't contain '||'"));

  CHECK(OriginalStateKey("app||k") == "k");
  CHECK(OriginalStateKey("k") == "k");
  CHECK(OriginalStateKey("a||b||c") == "b");
}

TEST_CASE("API errors carry Dapr's codes and messages") {
  auto not_found = api_errors::NotFound(ComponentKind::kState, "nope");
  CHECK(not_found.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(not_found.error_message() == "state store nope is not found");
  auto not_configured = api_errors::NotConfigured(ComponentKind::kState, "s");
  CHECK(not_configured.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(not_configured.error_message() == "state store s is not configured");

  grpc::Status mismatch(grpc::StatusCode::ABORTED, "etag differs");
  auto save = api_errors::StateSaveFailed("s", mismatch);
  CHECK(save.error_code() == grpc::StatusCode::ABORTED);
  CHECK(save.error_message() ==
        "failed saving state in state store s: possible etag mismatch. error from state store: "
        "etag differs");
  auto invalid_delete = api_errors::StateDeleteFailed("k", EtagInvalidError("bad etag"));
  CHECK(invalid_delete.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(invalid_delete.error_message() ==
        "failed deleting state with key k: invalid etag value: bad etag");
  // A store's own INVALID_ARGUMENT (no ETag mark) keeps its code and its words.
  grpc::Status bad_ttl(grpc::StatusCode::INVALID_ARGUMENT, "ttlInSeconds \"x\" is not an integer");
  auto refused_save = api_errors::StateSaveFailed("s", bad_ttl);
  CHECK(refused_save.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(refused_save.error_message() ==
        "failed saving state in state store s: ttlInSeconds \"x\" is not an integer");
  CHECK(api_errors::StateBulkDeleteFailed("s", bad_ttl).error_message() ==
        "failed deleting state in state store s: ttlInSeconds \"x\" is not an integer");
  grpc::Status broken(grpc::StatusCode::DATA_LOSS, "disk");
  auto internal = api_errors::StateGetFailed("k", "s", broken);
  CHECK(internal.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(internal.error_message() == "fail to get k from state store s: disk");
  grpc::Status down(grpc::StatusCode::UNAVAILABLE, "connection refused");
  CHECK(api_errors::StateTransactionFailed(down).error_code() == grpc::StatusCode::UNAVAILABLE);
  auto tx_conflict = api_errors::StateTransactionFailed(mismatch);
  CHECK(tx_conflict.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(tx_conflict.error_message() == "error while executing state transaction: etag differs");
}

}  // namespace plughost
