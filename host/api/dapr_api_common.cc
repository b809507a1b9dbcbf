#include "host/api/api_errors.h"
#include "host/api/dapr_api.h"

namespace plughost {

InstancePtr DaprApi::Resolve(ComponentKind kind, const std::string& name,
                             grpc::Status* error) const {
  auto instance = context_->instances->Find(kind, name);
  if (instance) return instance;
  *error = context_->instances->HasKind(kind) ? api_errors::NotFound(kind, name)
                                              : api_errors::NotConfigured(kind, name);
  return nullptr;
}

CallOptions DaprApi::OptionsFor(grpc::CallbackServerContext* call) const {
  CallOptions options;
  options.app_call = call;
  options.default_timeout = context_->component_timeout;
  return options;
}

}  // namespace plughost
