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

grpc::Status WithDetails(const grpc::Status& status, const RichError& rich) {
  google::rpc::Status details;
  details.set_code(status.error_code());
  details.set_message(status.error_message());
  google::rpc::ErrorInfo info;
  info.set_domain(kErrorDomain);
  info.set_reason(std::string(rich.reason));
  info.mutable_metadata()->insert(rich.metadata.begin(), rich.metadata.end());
  if (!rich.field.empty()) {
    google::rpc::BadRequest bad_request;
    auto* violation = bad_request.add_field_violations();
    violation->set_field(std::string(rich.field));
    violation->set_description(std::string(rich.field_description));
    details.add_details()->PackFrom(bad_request);
  }
  if (rich.error_info_first) details.add_details()->PackFrom(info);
  if (rich.resource_info) {
    google::rpc::ResourceInfo resource;
    resource.set_resource_type(std::string(rich.resource_type));
    resource.set_resource_name(std::string(rich.resource_name));
    resource.set_description(std::string(rich.description));
    details.add_details()->PackFrom(resource);
  }
  if (!rich.error_info_first) details.add_details()->PackFrom(info);
  return grpc::Status(status.error_code(), status.error_message(), details.SerializeAsString());
}

grpc::Status WithErrorInfo(const grpc::Status& status, std::string_view reason) {
  return WithDetails(status, RichError{.reason = reason});
}

namespace {
// daprd's reason prefix per kind (dapr/kit errors/codes.go); empty where daprd's lookups of the
// kind carry no rich form.
std::string_view ReasonPrefix(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kState:
      return "DAPR_STATE_";
    case ComponentKind::kPubSub:
      return "DAPR_PUBSUB_";
    case ComponentKind::kLock:
      return "DAPR_LOCK_";
    case ComponentKind::kConfiguration:
      return "DAPR_CONFIGURATION_STORE_";
    default:
      return "";
  }
}

// The lookup errors with their reason (daprd gives them no ResourceInfo).
grpc::Status LookupError(grpc::Status status, ComponentKind kind, std::string_view what) {
  auto prefix = ReasonPrefix(kind);
  if (prefix.empty()) return status;
  return WithErrorInfo(status, fmt::format("{}{}", prefix, what));
}
}  // namespace

grpc::Status NotConfigured(ComponentKind kind, std::string_view name) {
  return LookupError(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                  fmt::format("{} {} is not configured", KindWord(kind), name)),
                     kind, "NOT_CONFIGURED");
}

grpc::Status NotFound(ComponentKind kind, std::string_view name) {
  return LookupError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  fmt::format("{} {} is not found", KindWord(kind), name)),
                     kind, "NOT_FOUND");
}

grpc::Status EmptyField(std::string_view what) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, fmt::format("{} cannot be empty", what));
}

grpc::StatusCode FailureCode(const grpc::Status& cause, grpc::StatusCode otherwise) {
  switch (cause.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return cause.error_code();
    default:
      return otherwise;
  }
}

grpc::StatusCode StateErrorCode(const grpc::Status& cause) {
  switch (cause.error_code()) {
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::UNIMPLEMENTED:
      return cause.error_code();
    default:
      return FailureCode(cause);
  }
}

grpc::Status StateGetFailed(std::string_view key, std::string_view store,
                            const grpc::Status& cause) {
  if (IsKitError(cause)) return cause;  // as daprd: the component's own code and words
  return grpc::Status(StateErrorCode(cause), fmt::format("fail to get {} from state store {}: {}",
                                                         key, store, cause.error_message()));
}

grpc::Status StateSaveFailed(std::string_view store, const grpc::Status& cause) {
  if (IsKitError(cause)) return cause;  // as daprd: the component's own code and words
  return grpc::Status(
      StateErrorCode(cause),
      fmt::format("failed saving state in state store {}: {}", store, EtagText(cause)));
}

grpc::Status StateDeleteFailed(std::string_view key, const grpc::Status& cause) {
  if (IsKitError(cause)) return cause;  // as daprd: the component's own code and words
  return grpc::Status(StateErrorCode(cause),
                      fmt::format("failed deleting state with key {}: {}", key, EtagText(cause)));
}

grpc::Status StateBulkDeleteFailed(std::string_view store, const grpc::Status& cause) {
  if (IsKitError(cause)) return cause;  // as daprd: the component's own code and words
  return grpc::Status(
      StateErrorCode(cause),
      fmt::format("failed deleting state in state store {}: {}", store, EtagText(cause)));
}

grpc::Status StateTransactionFailed(const grpc::Status& cause) {
  if (IsKitError(cause)) return cause;  // as daprd: the component's own code and words
  // Dapr maps no ETag details on transactions: a conflict is INTERNAL like any other failure.
  auto code = StateErrorCode(cause);
  if (code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::INVALID_ARGUMENT) {
    code = grpc::StatusCode::INTERNAL;
  }
  return grpc::Status(
      code, fmt::format("error while executing state transaction: {}", cause.error_message()));
}

namespace {
// daprd's state-level rich errors name the store in a ResourceInfo ("state", name).
grpc::Status StateRich(const grpc::Status& status, std::string_view reason, std::string_view store,
                       std::string_view field = "", std::string_view field_description = "") {
  return WithDetails(status, RichError{.reason = reason,
                                       .resource_info = true,
                                       .resource_type = "state",
                                       .resource_name = store,
                                       .field = field,
                                       .field_description = field_description});
}
}  // namespace

grpc::Status StateTransactionsNotSupported(std::string_view store) {
  return StateRich(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                fmt::format("state store {} doesn't support transactions", store)),
                   "DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED", store);
}

grpc::Status StateQueryFailed(std::string_view store, const grpc::Status& cause) {
  if (IsKitError(cause)) return cause;
  bool unsupported = cause.error_code() == grpc::StatusCode::UNIMPLEMENTED;
  auto code = unsupported ? grpc::StatusCode::UNIMPLEMENTED : StateErrorCode(cause);
  return StateRich(
      grpc::Status(code,
                   fmt::format("state store {} query failed: {}", store, cause.error_message())),
      unsupported ? "DAPR_STATE_QUERYING_NOT_SUPPORTED" : "DAPR_STATE_QUERY_FAILED", store);
}

grpc::Status StateIllegalKey(std::string_view store, std::string_view key,
                             std::string_view message) {
  return StateRich(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(message)),
                   "DAPR_STATE_ILLEGAL_KEY", store, key, message);
}

grpc::Status LockStoresNotConfigured() {
  return WithErrorInfo(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "lock store is not configured"),
      "DAPR_LOCK_NOT_CONFIGURED");
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
  return WithErrorInfo(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    fmt::format("lock store {} not found", store)),
                       "DAPR_LOCK_NOT_FOUND");
}

grpc::Status TryLockFailed(const grpc::Status& cause) {
  return grpc::Status(FailureCode(cause),
                      fmt::format("failed to try acquiring lock: {}", cause.error_message()));
}

grpc::Status UnlockFailed(const grpc::Status& cause) {
  return grpc::Status(FailureCode(cause),
                      fmt::format("failed to release lock: {}", cause.error_message()));
}

namespace {
// Go's %v of a []string: "[a b c]".
std::string GoList(const std::vector<std::string>& items) {
  return fmt::format("[{}]", fmt::join(items, " "));
}
}  // namespace

// daprd's secret errors use their legacy code as the reason.
grpc::Status SecretStoreNotConfigured() {
  return WithErrorInfo(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "secret store is not configured"),
      "ERR_SECRET_STORES_NOT_CONFIGURED");
}

grpc::Status SecretStoreNotFound(std::string_view store) {
  return WithDetails(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  fmt::format("failed finding secret store with key {}", store)),
                     RichError{.reason = "ERR_SECRET_STORE_NOT_FOUND",
                               .metadata = {{"store", std::string(store)}}});
}

grpc::Status SecretGetFailed(std::string_view key, std::string_view store,
                             const grpc::Status& cause) {
  return grpc::Status(FailureCode(cause),
                      fmt::format("failed getting secret with key {} from secret store {}: {}", key,
                                  store, cause.error_message()));
}

grpc::Status BulkSecretGetFailed(std::string_view store, const grpc::Status& cause) {
  return grpc::Status(
      FailureCode(cause),
      fmt::format("failed getting secrets from secret store {}: {}", store, cause.error_message()));
}

grpc::Status ConfigurationStoresNotConfigured() {
  return WithErrorInfo(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "configuration stores not configured"),
      "DAPR_CONFIGURATION_STORE_NOT_CONFIGURED");
}

grpc::Status ConfigurationStoreNotFound(std::string_view store) {
  return WithDetails(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  fmt::format("configuration store {} not found", store)),
                     RichError{.reason = "DAPR_CONFIGURATION_STORE_NOT_FOUND",
                               .resource_info = true,
                               .resource_type = "configuration",
                               .resource_name = store});
}

grpc::Status ConfigurationGetFailed(const std::vector<std::string>& keys, std::string_view store,
                                    const grpc::Status& cause) {
  return grpc::Status(FailureCode(cause),
                      fmt::format("failed to get {} from Configuration store {}: {}", GoList(keys),
                                  store, cause.error_message()));
}

grpc::Status ConfigurationSubscribeFailed(const std::vector<std::string>& keys,
                                          std::string_view store, const grpc::Status& cause) {
  return grpc::Status(FailureCode(cause, grpc::StatusCode::INVALID_ARGUMENT),
                      fmt::format("failed to subscribe {} from Configuration store {}: {}",
                                  GoList(keys), store, cause.error_message()));
}

std::string ConfigurationUnsubscribeFailed(std::string_view id, std::string_view why) {
  return fmt::format("failed to unsubscribe to configuration request {}: {}", id, why);
}

grpc::Status InvokeBindingFailed(std::string_view name, std::string_view why,
                                 grpc::StatusCode code) {
  grpc::Status status(code, fmt::format("error invoking output binding {}: {}", name, why));
  return WithDetails(
      status, RichError{.reason = "DAPR_BINDING_INVOKE_OUTPUT_BINDING",
                        .metadata = {{"name", std::string(name)}, {"error", std::string(why)}},
                        .resource_info = true,
                        .resource_type = "binding",
                        .resource_name = name,
                        .description = status.error_message()});
}

grpc::Status InvokeBindingFailed(std::string_view name, const grpc::Status& cause) {
  return InvokeBindingFailed(name, cause.error_message(), FailureCode(cause));
}

}  // namespace plughost::api_errors
