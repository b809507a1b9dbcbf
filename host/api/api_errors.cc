#include "host/api/api_errors.h"

#include <fmt/format.h>

namespace plughost::api_errors {
namespace {

// Dapr names kinds in messages by their component prefix ("state store", "pubsub", ...).
std::string_view KindWord(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kState: return "state store";
    case ComponentKind::kPubSub: return "pubsub";
    case ComponentKind::kInputBinding:
    case ComponentKind::kOutputBinding: return "binding";
    case ComponentKind::kSecretStore: return "secret store";
    case ComponentKind::kConfiguration: return "configuration store";
    case ComponentKind::kLock: return "lock store";
    case ComponentKind::kSequencer: return "sequencer";
    case ComponentKind::kHello: return "hello service";
  }
  return "component";
}

// How Dapr renders a store's ETag errors.
std::string EtagText(const grpc::Status& cause) {
  switch (cause.error_code()) {
    case grpc::StatusCode::ABORTED:
      return fmt::format("possible etag mismatch. error from state store: {}",
                         cause.error_message());
    case grpc::StatusCode::INVALID_ARGUMENT:
      return fmt::format("invalid etag value: {}", cause.error_message());
    default:
      return cause.error_message();
  }
}

}  // namespace

grpc::Status NotConfigured(ComponentKind kind, std::string_view name) {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      fmt::format("{} {} is not configured", KindWord(kind), name));
}

grpc::Status NotFound(ComponentKind kind, std::string_view name) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("{} {} is not found", KindWord(kind), name));
}

grpc::Status EmptyField(std::string_view what) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, fmt::format("{} cannot be empty", what));
}

grpc::StatusCode StateErrorCode(const grpc::Status& cause) {
  switch (cause.error_code()) {
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return cause.error_code();
    default:
      return grpc::StatusCode::INTERNAL;
  }
}

grpc::Status StateGetFailed(std::string_view key, std::string_view store,
                            const grpc::Status& cause) {
  return grpc::Status(StateErrorCode(cause),
                      fmt::format("fail to get {} from state store {}: {}", key, store,
                                  cause.error_message()));
}

grpc::Status StateSaveFailed(std::string_view store, const grpc::Status& cause) {
  return grpc::Status(StateErrorCode(cause), fmt::format("failed saving state in state store {}: {}",
                                                         store, EtagText(cause)));
}

grpc::Status StateDeleteFailed(std::string_view key, const grpc::Status& cause) {
  return grpc::Status(StateErrorCode(cause), fmt::format("failed deleting state with key {}: {}",
                                                         key, EtagText(cause)));
}

grpc::Status StateBulkDeleteFailed(std::string_view store, const grpc::Status& cause) {
  return grpc::Status(StateErrorCode(cause),
                      fmt::format("failed deleting state in state store {}: {}", store,
                                  EtagText(cause)));
}

grpc::Status StateTransactionFailed(const grpc::Status& cause) {
  // Dapr maps no ETag details on transactions: a conflict is INTERNAL like any other failure.
  auto code = StateErrorCode(cause);
  if (code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::INVALID_ARGUMENT) {
    code = grpc::StatusCode::INTERNAL;
  }
  return grpc::Status(code, fmt::format("error while executing state transaction: {}",
                                        cause.error_message()));
}

}  // namespace plughost::api_errors
