#include "host/api/api_errors.h"
#include "host/api/dapr_api.h"

namespace plughost {

InstancePtr DaprApi::Resolve(grpc::CallbackServerContext* call, ComponentKind kind,
                             const std::string& name, grpc::Status* error) const {
  return ResolveInstance(*context_, call, kind, name, error);
}

CallOptions DaprApi::OptionsFor(grpc::CallbackServerContext* call) const {
  CallOptions options;
  options.app_call = call;
  options.default_timeout = context_->component_timeout;
  return options;
}

}  // namespace plughost
