#include "host/api/api_errors.h"
#include "host/api/dapr_api.h"

namespace plughost {

InstancePtr DaprApi::ResolveOrFinish(grpc::CallbackServerContext* call,
                                     MeteredUnaryReactor* reactor, ComponentKind kind,
                                     const std::string& name, const LookupWording* wording) const {
  return plughost::ResolveOrFinish(*context_, call, reactor, kind, name, wording);
}

CallOptions DaprApi::OptionsFor(grpc::CallbackServerContext* call) const {
  CallOptions options;
  options.app_call = call;
  options.default_timeout = context_->component_timeout;
  return options;
}

}  // namespace plughost
