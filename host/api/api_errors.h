// The status codes and messages Dapr's runtime API returns, so apps and SDKs see the same
// errors from plughost. Formats follow Dapr's (messages are facts of its public behaviour).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/support/status.h>

#include "host/components/kind.h"

namespace plughost::api_errors {

// No instance of the kind exists at all: FAILED_PRECONDITION "<kind> <name> is not configured".
// daprd's rich errors (dapr/kit errors): google.rpc.ErrorInfo with domain "dapr.io" and a reason
// such as "DAPR_STATE_NOT_FOUND", in the status details, so SDK helpers can read the reason.
inline constexpr char kErrorDomain[] = "dapr.io";
grpc::Status WithErrorInfo(const grpc::Status& status, std::string_view reason);

// The details daprd's kit errors carry: a google.rpc.ResourceInfo (when `resource_info`) and
// the ErrorInfo, in the order daprd adds them (ResourceInfo first, but for pub/sub errors).
struct RichError {
  std::string_view reason{};
  std::map<std::string, std::string> metadata{};  // ErrorInfo.metadata
  bool resource_info = false;
  bool error_info_first = false;
  std::string_view resource_type{};
  std::string_view resource_name{};
  std::string_view description{};  // ResourceInfo.description
  // A google.rpc.BadRequest with this one field violation, first of all, when `field` is set.
  std::string_view field{};
  std::string_view field_description{};
};
grpc::Status WithDetails(const grpc::Status& status, const RichError& rich);

grpc::Status NotConfigured(ComponentKind kind, std::string_view name);
// Instances exist but none is named so: INVALID_ARGUMENT "<kind> <name> is not found".
grpc::Status NotFound(ComponentKind kind, std::string_view name);
// A required request field is empty: INVALID_ARGUMENT "<what> cannot be empty".
grpc::Status EmptyField(std::string_view what);

// State operation failures, with Dapr's codes: a component's ABORTED (ETag mismatch) and
// INVALID_ARGUMENT keep their code on Get/Save/Delete, anything else becomes INTERNAL; a failed
// transaction is always INTERNAL, as in Dapr. Only an INVALID_ARGUMENT carrying the ETag mark
// (host/components/state_errors.h) is worded "invalid etag value: ...".
grpc::Status StateGetFailed(std::string_view key, std::string_view store,
                            const grpc::Status& cause);
grpc::Status StateSaveFailed(std::string_view store, const grpc::Status& cause);
grpc::Status StateDeleteFailed(std::string_view key, const grpc::Status& cause);
grpc::Status StateBulkDeleteFailed(std::string_view store, const grpc::Status& cause);
grpc::Status StateTransactionFailed(const grpc::Status& cause);
// The store has no transactions: UNIMPLEMENTED "state store <s> doesn't support transactions",
// DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED.
grpc::Status StateTransactionsNotSupported(std::string_view store);
// A query the store failed: "state store <s> query failed: <cause>" with the code below, and
// DAPR_STATE_QUERYING_NOT_SUPPORTED (the store has no query: UNIMPLEMENTED) or
// DAPR_STATE_QUERY_FAILED. A kit error passes as it is.
grpc::Status StateQueryFailed(std::string_view store, const grpc::Status& cause);
// A key the host refuses (it holds "||"): INVALID_ARGUMENT `message`, with daprd's BadRequest on
// the key and DAPR_STATE_ILLEGAL_KEY.
grpc::Status StateIllegalKey(std::string_view store, std::string_view key,
                             std::string_view message);
// The store's reply code is kept when it is UNAVAILABLE or DEADLINE_EXCEEDED: the app should
// see that the component is down or slow, not a generic internal error.
grpc::StatusCode StateErrorCode(const grpc::Status& cause);
// `otherwise` (Dapr's one code for a block's failed calls), except that a component that is down
// or slow keeps UNAVAILABLE, DEADLINE_EXCEEDED or CANCELLED, so the app can tell.
grpc::StatusCode FailureCode(const grpc::Status& cause,
                             grpc::StatusCode otherwise = grpc::StatusCode::INTERNAL);

// Lock API (TryLockAlpha1/UnlockAlpha1), in Dapr's words: FAILED_PRECONDITION "lock store is
// not configured"; INVALID_ARGUMENT "ResourceId is empty in lock store <s>", "LockOwner is empty
// in lock store <s>", "ExpiryInSeconds is not positive in lock store <s>", "lock store <s> not
// found". A failed call is INTERNAL "failed to try acquiring lock: <cause>" / "failed to release
// lock: <cause>", except that UNAVAILABLE, DEADLINE_EXCEEDED and CANCELLED keep their code.
grpc::Status LockStoresNotConfigured();
grpc::Status LockResourceIdEmpty(std::string_view store);
grpc::Status LockOwnerEmpty(std::string_view store);
grpc::Status LockExpiryNotPositive(std::string_view store);
grpc::Status LockStoreNotFound(std::string_view store);
grpc::Status TryLockFailed(const grpc::Status& cause);
grpc::Status UnlockFailed(const grpc::Status& cause);

// Secrets API (GetSecret/GetBulkSecret), in Dapr's words, which differ from the generic
// lookups above: FAILED_PRECONDITION "secret store is not configured"; INVALID_ARGUMENT
// "failed finding secret store with key <s>"; INTERNAL "failed getting secret with key <k> from
// secret store <s>: <cause>" / "failed getting secrets from secret store <s>: <cause>".
// Configuration API: FAILED_PRECONDITION "configuration stores not configured";
// INVALID_ARGUMENT "configuration store <s> not found"; INTERNAL "failed to get [<keys>] from
// Configuration store <s>: <cause>"; INVALID_ARGUMENT "failed to subscribe [<keys>] from
// Configuration store <s>: <cause>". Keys print as Go prints a list: "[a b]".
// Failed calls keep UNAVAILABLE, DEADLINE_EXCEEDED and CANCELLED, as for state.
grpc::Status SecretStoreNotConfigured();
grpc::Status SecretStoreNotFound(std::string_view store);
grpc::Status SecretGetFailed(std::string_view key, std::string_view store,
                             const grpc::Status& cause);
grpc::Status BulkSecretGetFailed(std::string_view store, const grpc::Status& cause);
grpc::Status ConfigurationStoresNotConfigured();
grpc::Status ConfigurationStoreNotFound(std::string_view store);
grpc::Status ConfigurationGetFailed(const std::vector<std::string>& keys, std::string_view store,
                                    const grpc::Status& cause);
grpc::Status ConfigurationSubscribeFailed(const std::vector<std::string>& keys,
                                          std::string_view store, const grpc::Status& cause);
// The message of an UnsubscribeConfiguration that found nothing to stop (Dapr answers ok=false
// with it rather than an error status).
std::string ConfigurationUnsubscribeFailed(std::string_view id, std::string_view why);

// InvokeBinding: every failure is INTERNAL "error invoking output binding <name>: <why>", as in
// Dapr, where <why> is "operation field is missing from request", "couldn't find output binding
// <name>", "binding <name> does not support operation <op>. supported operations:<a b c>" or the
// component's error; a component's UNAVAILABLE, DEADLINE_EXCEEDED and CANCELLED keep their code.
grpc::Status InvokeBindingFailed(std::string_view name, std::string_view why,
                                 grpc::StatusCode code = grpc::StatusCode::INTERNAL);
grpc::Status InvokeBindingFailed(std::string_view name, const grpc::Status& cause);

}  // namespace plughost::api_errors
