// Dapr's convention for state-store errors carried in gRPC error details (google.rpc.Status in
// the grpc-status-details-bin trailer, exactly one detail). See docs/protocol.md.
//
// The host decodes (the component side, encoding, is in the C++ SDK: sdk/cpp/state_errors.h).
// DecodeStateError turns a component's status into the host's native convention
// (host/components/state_store.h): a "kit" error (any operation) -> KitError, which the API
// hands to the app unwrapped; ETag mismatch -> ABORTED, ETag invalid -> INVALID_ARGUMENT,
// bulk-delete row mismatch -> INTERNAL with the counts; anything else keeps its code and
// message.
#pragma once

#include <cstdint>
#include <string>

#include <grpcpp/support/status.h>

namespace plughost {

// Which state operation failed: ETag details are honoured only for writes (Set, Delete, BulkSet,
// BulkDelete) and row-mismatch details only for BulkDelete, as Dapr does.
enum class StateOperation { kRead, kWrite, kBulkDelete, kTransact };

grpc::Status DecodeStateError(const grpc::Status& component_status, StateOperation operation);

}  // namespace plughost
