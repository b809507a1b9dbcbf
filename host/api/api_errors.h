// The status codes and messages Dapr's runtime API returns, so apps and SDKs see the same
// errors from plughost. Formats follow Dapr's (messages are facts of its public behaviour).
#pragma once

#include <string>
#include <string_view>

#include <grpcpp/support/status.h>

#include "host/components/kind.h"

namespace plughost::api_errors {

// No instance of the kind exists at all: FAILED_PRECONDITION "<kind> <name> is not configured".
grpc::Status NotConfigured(ComponentKind kind, std::string_view name);
// Instances exist but none is named so: INVALID_ARGUMENT "<kind> <name> is not found".
grpc::Status NotFound(ComponentKind kind, std::string_view name);
// A required request field is empty: INVALID_ARGUMENT "<what> cannot be empty".
grpc::Status EmptyField(std::string_view what);

// State operation failures, with Dapr's codes: a component's ABORTED (ETag mismatch) and
// INVALID_ARGUMENT (bad ETag) keep their code on Get/Save/Delete, anything else becomes
// INTERNAL; a failed transaction is always INTERNAL, as in Dapr.
grpc::Status StateGetFailed(std::string_view key, std::string_view store, const grpc::Status& cause);
grpc::Status StateSaveFailed(std::string_view store, const grpc::Status& cause);
grpc::Status StateDeleteFailed(std::string_view key, const grpc::Status& cause);
grpc::Status StateBulkDeleteFailed(std::string_view store, const grpc::Status& cause);
grpc::Status StateTransactionFailed(const grpc::Status& cause);
// The store's reply code is kept when it is UNAVAILABLE or DEADLINE_EXCEEDED: the app should
// see that the component is down or slow, not a generic internal error.
grpc::StatusCode StateErrorCode(const grpc::Status& cause);

}  // namespace plughost::api_errors
