// How a state store marks a malformed ETag, so the API can tell it from the store's other
// INVALID_ARGUMENT errors (a bad ttlInSeconds, a refused key), which reach the app in the
// store's own words. The mark is Dapr's own detail for it: a google.rpc.BadRequest with one
// field violation on "etag", the shape a pluggable component sends (docs/protocol.md).
#pragma once

#include <string>

#include <grpcpp/support/status.h>

namespace plughost {

// INVALID_ARGUMENT with `description` as message and the ETag mark as details.
grpc::Status EtagInvalidError(const std::string& description);

// Whether `status` is INVALID_ARGUMENT carrying the ETag mark.
bool IsEtagInvalid(const grpc::Status& status);

// ABORTED with `description` and the same mark: an ETag mismatch a component reported in
// Dapr's convention (FAILED_PRECONDITION + the BadRequest on "etag"), as decoded by the host.
// A component's bare ABORTED carries no mark; the conformance kit tells the two apart, because
// daprd understands only the marked form.
grpc::Status EtagMismatchError(const std::string& description);

// Whether `status` is ABORTED carrying the ETag mark.
bool IsEtagMismatch(const grpc::Status& status);

// A state component's "kit" error (docs/protocol.md §3: exactly one ErrorInfo detail whose
// metadata has kit_error "true" and an integer http_code) as daprd hands it to the app: the
// component's code and message, and one ErrorInfo with only its reason and domain. The API
// returns it as it is, not wrapped in its own words.
grpc::Status KitError(grpc::StatusCode code, const std::string& message, const std::string& domain,
                      const std::string& reason);
// Whether `status` is such an error (one ErrorInfo detail, as KitError builds).
bool IsKitError(const grpc::Status& status);

}  // namespace plughost
