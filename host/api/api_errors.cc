#include "host/api/api_errors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "host/components/state_errors.h"

namespace plughost::api_errors {
namespace {

// Dapr names kinds in messages by their component prefix ("state store", "pubsub", ...).
std::string_view KindWord(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kState:
      return "state store";
    case ComponentKind::kPubSub:
      return "pubsub";
    case ComponentKind::kInputBinding:
    case ComponentKind::kOutputBinding:
      return "binding";
    case ComponentKind::kSecretStore:
      return "secret store";
    case ComponentKind::kConfiguration:
      return "configuration store";
    case ComponentKind::kLock:
      return "lock store";
    case ComponentKind::kSequencer:
      return "sequencer";
    case ComponentKind::kHello:
      return "hello service";
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
      // Only a marked ETag error gets the ETag words; a store's other refusals keep their own.
      if (IsEtagInvalid(cause)) return fmt::format("invalid etag value: {}", cause.error_message());
      return cause.error_message();
    default:
      return cause.error_message();
  }
}

}  // namespace

grpc::Status WithErrorInfo(const grpc::Status& status, std::string_view reason) {
  google::rpc::Status rich;
  rich.set_code(status.error_code());
  rich.set_message(status.error_message());
  google::rpc::ErrorInfo info;
  info.set_domain(kErrorDomain);
  info.set_reason(std::string(reason));
  rich.add_details()->PackFrom(info);
  return grpc::Status(status.error_code(), status.error_message(), rich.SerializeAsString());
}

grpc::Status NotConfigured(ComponentKind kind, std::string_view name) {
  grpc::Status status(grpc::StatusCode::FAILED_PRECONDITION,
                      fmt::format("{} {} is not configured", KindWord(kind), name));
  // daprd gives state stores' lookup errors its rich form; other kinds keep the plain one.
  return kind == ComponentKind::kState ? WithErrorInfo(status, "DAPR_STATE_NOT_CONFIGURED")
                                       : status;
}

grpc::Status NotFound(ComponentKind kind, std::string_view name) {
  grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("{} {} is not found", KindWord(kind), name));
  return kind == ComponentKind::kState ? WithErrorInfo(status, "DAPR_STATE_NOT_FOUND") : status;
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
  return grpc::Status(StateErrorCode(cause), fmt::format("fail to get {} from state store {}: {}",
                                                         key, store, cause.error_message()));
}

grpc::Status StateSaveFailed(std::string_view store, const grpc::Status& cause) {
  return grpc::Status(
      StateErrorCode(cause),
      fmt::format("failed saving state in state store {}: {}", store, EtagText(cause)));
}

grpc::Status StateDeleteFailed(std::string_view key, const grpc::Status& cause) {
  return grpc::Status(StateErrorCode(cause),
                      fmt::format("failed deleting state with key {}: {}", key, EtagText(cause)));
}

grpc::Status StateBulkDeleteFailed(std::string_view store, const grpc::Status& cause) {
  return grpc::Status(
      StateErrorCode(cause),
      fmt::format("failed deleting state in state store {}: {}", store, EtagText(cause)));
}

grpc::Status StateTransactionFailed(const grpc::Status& cause) {
  // Dapr maps no ETag details on transactions: a conflict is INTERNAL like any other failure.
  auto code = StateErrorCode(cause);
  if (code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::INVALID_ARGUMENT) {
    code = grpc::StatusCode::INTERNAL;
  }
  return grpc::Status(
      code, fmt::format("error while executing state transaction: {}", cause.error_message()));
}

grpc::Status LockStoresNotConfigured() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "lock store is not configured");
}

grpc::Status LockResourceIdEmpty(std::string_view store) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("ResourceId is empty in lock store {}", store));
}

grpc::Status LockOwnerEmpty(std::string_view store) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("LockOwner is empty in lock store {}", store));
}

grpc::Status LockExpiryNotPositive(std::string_view store) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("ExpiryInSeconds is not positive in lock store {}", store));
}

grpc::Status LockStoreNotFound(std::string_view store) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("lock store {} not found", store));
}

namespace {
// Dapr reports every lock failure as INTERNAL; a component that is down or slow keeps its code.
grpc::StatusCode LockErrorCode(const grpc::Status& cause) {
  switch (cause.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return cause.error_code();
    default:
      return grpc::StatusCode::INTERNAL;
  }
}
}  // namespace

grpc::Status TryLockFailed(const grpc::Status& cause) {
  return grpc::Status(LockErrorCode(cause),
                      fmt::format("failed to try acquiring lock: {}", cause.error_message()));
}

grpc::Status UnlockFailed(const grpc::Status& cause) {
  return grpc::Status(LockErrorCode(cause),
                      fmt::format("failed to release lock: {}", cause.error_message()));
}

namespace {
// Dapr answers every failed secret or configuration call with one code; a component that is
// down or slow keeps its own, as for state.
grpc::StatusCode SecretsConfigErrorCode(const grpc::Status& cause, grpc::StatusCode otherwise) {
  switch (cause.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return cause.error_code();
    default:
      return otherwise;
  }
}

// Go's %v of a []string: "[a b c]".
std::string GoList(const std::vector<std::string>& items) {
  return fmt::format("[{}]", fmt::join(items, " "));
}
}  // namespace

grpc::Status SecretStoreNotConfigured() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "secret store is not configured");
}

grpc::Status SecretStoreNotFound(std::string_view store) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("failed finding secret store with key {}", store));
}

grpc::Status SecretGetFailed(std::string_view key, std::string_view store,
                             const grpc::Status& cause) {
  return grpc::Status(SecretsConfigErrorCode(cause, grpc::StatusCode::INTERNAL),
                      fmt::format("failed getting secret with key {} from secret store {}: {}", key,
                                  store, cause.error_message()));
}

grpc::Status BulkSecretGetFailed(std::string_view store, const grpc::Status& cause) {
  return grpc::Status(
      SecretsConfigErrorCode(cause, grpc::StatusCode::INTERNAL),
      fmt::format("failed getting secrets from secret store {}: {}", store, cause.error_message()));
}

grpc::Status ConfigurationStoresNotConfigured() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "configuration stores not configured");
}

grpc::Status ConfigurationStoreNotFound(std::string_view store) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("configuration store {} not found", store));
}

grpc::Status ConfigurationGetFailed(const std::vector<std::string>& keys, std::string_view store,
                                    const grpc::Status& cause) {
  return grpc::Status(SecretsConfigErrorCode(cause, grpc::StatusCode::INTERNAL),
                      fmt::format("failed to get {} from Configuration store {}: {}", GoList(keys),
                                  store, cause.error_message()));
}

grpc::Status ConfigurationSubscribeFailed(const std::vector<std::string>& keys,
                                          std::string_view store, const grpc::Status& cause) {
  return grpc::Status(SecretsConfigErrorCode(cause, grpc::StatusCode::INVALID_ARGUMENT),
                      fmt::format("failed to subscribe {} from Configuration store {}: {}",
                                  GoList(keys), store, cause.error_message()));
}

std::string ConfigurationUnsubscribeFailed(std::string_view id, std::string_view why) {
  return fmt::format("failed to unsubscribe to configuration request {}: {}", id, why);
}

grpc::Status InvokeBindingFailed(std::string_view name, std::string_view why,
                                 grpc::StatusCode code) {
  return grpc::Status(code, fmt::format("error invoking output binding {}: {}", name, why));
}

grpc::Status InvokeBindingFailed(std::string_view name, const grpc::Status& cause) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (cause.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      code = cause.error_code();
      break;
    default:
      break;
  }
  return InvokeBindingFailed(name, cause.error_message(), code);
}

}  // namespace plughost::api_errors
