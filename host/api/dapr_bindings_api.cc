// InvokeBinding of the Dapr API: check the request the way daprd does (operation present,
// binding known and serving as output, operation listed by the binding), forward it with the
// app's gRPC metadata, and hand back the binding's data and metadata.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "host/api/api_errors.h"
#include "host/api/dapr_api.h"
#include "host/components/binding_direction.h"
#include "host/components/bindings.h"

namespace plughost {
namespace {

// daprd passes the app's call metadata on to the binding (e.g. for HTTP bindings), renaming
// reserved gRPC keys ("grpc-x" -> "dapr-grpc-x"). Keys the request already sets win. The API
// token and binary values are not passed on.
void AddCallMetadata(const grpc::CallbackServerContext& call, bindingspb::InvokeRequest* out) {
  auto& metadata = *out->mutable_metadata();
  for (const auto& [key_ref, value_ref] : call.client_metadata()) {
    std::string key(key_ref.data(), key_ref.size());
    if (key == "dapr-api-token" || key.ends_with("-bin")) continue;
    if (key.starts_with(":")) key.replace(0, 1, "dapr-");
    if (key.starts_with("grpc-")) key.insert(0, "dapr-");
    metadata.try_emplace(std::move(key), std::string(value_ref.data(), value_ref.size()));
  }
}

// Header keys gRPC accepts: lowercase letters, digits, '-', '_' and '.'.
bool IsHeaderKey(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

bool IsHeaderValue(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// daprd also returns the binding's response metadata as headers "metadata.<key>".
void AddResponseHeaders(grpc::CallbackServerContext* call,
                        const google::protobuf::Map<std::string, std::string>& metadata) {
  for (const auto& [key, value] : metadata) {
    std::string header = "metadata." + key;
    std::transform(header.begin(), header.end(), header.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (IsHeaderKey(header) && !header.ends_with("-bin") && IsHeaderValue(value)) {
      call->AddInitialMetadata(header, value);
    }
  }
}

std::string JoinOperations(const std::vector<std::string>& operations) {
  std::string joined;
  for (const auto& operation : operations) {
    if (!joined.empty()) joined += ' ';
    joined += operation;
  }
  return joined;
}

}  // namespace

grpc::ServerUnaryReactor* DaprApi::InvokeBinding(grpc::CallbackServerContext* call,
                                                 const runtimepb::InvokeBindingRequest* request,
                                                 runtimepb::InvokeBindingResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/InvokeBinding", request->name());
  if (auto denied = Authorize(*context_, call); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  const std::string& name = request->name();
  // daprd checks the operation before looking the binding up.
  if (request->operation().empty()) {
    reactor->Finish(
        api_errors::InvokeBindingFailed(name, "operation field is missing from request"));
    return reactor;
  }
  // A binding whose direction metadata leaves out "output" is no output binding, as in Dapr.
  auto found = context_->instances->Find(ComponentKind::kOutputBinding, name);
  if (!found || !BindingServesAs(found->metadata, ComponentKind::kOutputBinding)) {
    reactor->Finish(api_errors::InvokeBindingFailed(name, "couldn't find output binding " + name));
    return reactor;
  }
  // Found, but it may be down or too busy.
  auto binding = ResolveOrFinish(call, reactor, ComponentKind::kOutputBinding, name);
  if (!binding) return reactor;
  auto* output = binding->As<OutputBinding>();
  auto operations = output->Operations();
  if (std::find(operations.begin(), operations.end(), request->operation()) == operations.end()) {
    reactor->Finish(api_errors::InvokeBindingFailed(
        name, "binding " + name + " does not support operation " + request->operation() +
                  ". supported operations:" + JoinOperations(operations)));
    return reactor;
  }

  bindingspb::InvokeRequest invoke;
  invoke.set_data(request->data());
  invoke.set_operation(request->operation());
  invoke.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  AddCallMetadata(*call, &invoke);
  output->Invoke(std::move(invoke), OptionsFor(call),
                 [call, reactor, response, binding](const grpc::Status& status,
                                                    bindingspb::InvokeResponse result) {
                   // Some bindings answer metadata even with an error; daprd passes it on either
                   // way.
                   AddResponseHeaders(call, result.metadata());
                   if (!status.ok()) {
                     reactor->Finish(api_errors::InvokeBindingFailed(binding->name, status));
                     return;
                   }
                   response->set_data(std::move(*result.mutable_data()));
                   response->mutable_metadata()->swap(*result.mutable_metadata());
                   reactor->Finish(grpc::Status::OK);
                 });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/InvokeBinding");
}

}  // namespace plughost
