// Metadata and lifecycle handlers of the Dapr API.
#include "host/api/dapr_api.h"

namespace plughost {

grpc::ServerUnaryReactor* DaprApi::GetMetadata(grpc::CallbackServerContext* call,
                                               const runtimepb::GetMetadataRequest*,
                                               runtimepb::GetMetadataResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/GetMetadata");
  if (auto denied = Authorize(*context_, call); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  response->set_id(context_->app_id);
  response->set_runtime_version(context_->runtime_version);
  for (const auto& instance : context_->instances->All()) {
    auto* registered = response->add_registered_components();
    registered->set_name(instance->name);
    registered->set_type(instance->type);
    registered->set_version(instance->version);
    for (auto& feature : instance->component->Features()) {
      registered->add_capabilities(std::move(feature));
    }
  }
  for (auto& [key, value] : context_->extended_metadata.Snapshot()) {
    (*response->mutable_extended_metadata())[key] = value;
  }
  if (context_->host_metadata) {
    for (auto& [key, value] : context_->host_metadata()) {
      (*response->mutable_extended_metadata())[key] = std::move(value);
    }
  }
  // daprd always reports its version here too, over anything SetMetadata stored.
  (*response->mutable_extended_metadata())["daprRuntimeVersion"] = context_->runtime_version;
  for (auto& subscription : context_->subscriptions.Snapshot()) {
    *response->add_subscriptions() = std::move(subscription);
  }
  *response->mutable_app_connection_properties() = context_->app_connection;
  for (const auto& name : context_->resiliency_names) {
    response->add_resiliencies()->set_name(name);
  }
  // No actors: what daprd reports when no placement service is configured.
  auto* actors = response->mutable_actor_runtime();
  actors->set_runtime_status(runtimepb::ActorRuntime::DISABLED);
  actors->set_placement("placement: disconnected");
  // daprd always sends its workflow engine's count; the host runs no workflow workers.
  response->mutable_workflows()->set_connected_workers(0);
  reactor->Finish(grpc::Status::OK);
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/GetMetadata");
}

grpc::ServerUnaryReactor* DaprApi::SetMetadata(grpc::CallbackServerContext* call,
                                               const runtimepb::SetMetadataRequest* request,
                                               google::protobuf::Empty*) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/SetMetadata");
  if (auto denied = Authorize(*context_, call); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  // Dapr ignores an empty key rather than failing.
  if (!request->key().empty()) context_->extended_metadata.Set(request->key(), request->value());
  reactor->Finish(grpc::Status::OK);
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/SetMetadata");
}

grpc::ServerUnaryReactor* DaprApi::Shutdown(grpc::CallbackServerContext* call,
                                            const runtimepb::ShutdownRequest*,
                                            google::protobuf::Empty*) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/Shutdown");
  if (auto denied = Authorize(*context_, call); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  // Answer first: the shutdown drains in-flight calls, this one included.
  reactor->Finish(grpc::Status::OK);
  if (context_->request_shutdown) context_->request_shutdown();
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/Shutdown");
}

}  // namespace plughost
