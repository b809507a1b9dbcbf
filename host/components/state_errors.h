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

}  // namespace plughost
