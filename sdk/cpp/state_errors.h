// The errors a state store returns so that Dapr and plughost recognise them (docs/protocol.md
// §5): gRPC status code plus exactly one detail in a google.rpc.Status carried in the
// grpc-status-details-bin trailer, with the inner code and message equal to the outer ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <grpcpp/support/status.h>

#include "dapr/proto/components/v1/state.pb.h"

namespace plughost::sdk {

// The ETag in a write does not match the stored one (or the key is gone). The app sees ABORTED.
// FAILED_PRECONDITION + google.rpc.BadRequest{field_violations: [{field: "etag", description}]}.
grpc::Status EtagMismatch(const std::string& description);

// The ETag in a write is not one this store could have issued. The app sees INVALID_ARGUMENT.
// INVALID_ARGUMENT + the same BadRequest shape.
grpc::Status EtagInvalid(const std::string& description);

// A BulkDelete removed fewer rows than it had items (the store deletes nothing then).
// INTERNAL + google.rpc.ErrorInfo{metadata: {"expected": N, "affected": M}}, decimal integers.
grpc::Status BulkDeleteRowMismatch(int64_t expected, int64_t affected);

// Dapr's optimistic concurrency for a store whose ETag is the entry's version as a decimal
// number. `current_version` is the key's version now (nullopt: absent). OK, or:
// - an ETag that is not a decimal number: EtagInvalid;
// - an ETag other than the current version (or any ETag for an absent key): EtagMismatch;
// - a Set without an ETag, with first-write concurrency, on a key that exists: EtagMismatch.
// A request without an ETag (or with an empty one) otherwise passes: last write wins.
grpc::Status CheckVersionEtag(const dapr::proto::components::v1::SetRequest& request,
                              std::optional<uint64_t> current_version);
grpc::Status CheckVersionEtag(const dapr::proto::components::v1::DeleteRequest& request,
                              std::optional<uint64_t> current_version);

}  // namespace plughost::sdk
