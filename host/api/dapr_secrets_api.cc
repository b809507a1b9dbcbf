// Secret handlers of the Dapr API: find the store (with Dapr's secret-specific lookup errors),
// forward to it in the component protocol, translate back.
#include "host/api/api_errors.h"
#include "host/api/dapr_api.h"
#include "host/components/secret_store.h"

namespace plughost {
namespace {

// Dapr's wording for secret store lookups, which differs from the generic one.
constexpr LookupWording kSecretStoreWording{
    [](std::string_view) { return api_errors::SecretStoreNotConfigured(); },
    &api_errors::SecretStoreNotFound,
};

}  // namespace

grpc::ServerUnaryReactor* DaprApi::GetSecret(grpc::CallbackServerContext* call,
                                             const runtimepb::GetSecretRequest* request,
                                             runtimepb::GetSecretResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/GetSecret", request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kSecretStore, request->store_name(),
                               &kSecretStoreWording);
  if (!store) return reactor;
  secretspb::GetSecretRequest get;
  get.set_key(request->key());
  get.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  store->As<SecretStore>()->Get(
      std::move(get), OptionsFor(call),
      [reactor, request, response, store](const grpc::Status& status,
                                          secretspb::GetSecretResponse got) {
        if (!status.ok()) {
          reactor->Finish(api_errors::SecretGetFailed(request->key(), store->name, status));
          return;
        }
        response->mutable_data()->swap(*got.mutable_data());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/GetSecret");
}

grpc::ServerUnaryReactor* DaprApi::GetBulkSecret(grpc::CallbackServerContext* call,
                                                 const runtimepb::GetBulkSecretRequest* request,
                                                 runtimepb::GetBulkSecretResponse* response) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Dapr/GetBulkSecret", request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kSecretStore, request->store_name(),
                               &kSecretStoreWording);
  if (!store) return reactor;
  secretspb::BulkGetSecretRequest bulk;
  bulk.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  store->As<SecretStore>()->BulkGet(
      std::move(bulk), OptionsFor(call),
      [reactor, response, store](const grpc::Status& status, secretspb::BulkGetSecretResponse got) {
        if (!status.ok()) {
          reactor->Finish(api_errors::BulkSecretGetFailed(store->name, status));
          return;
        }
        // The two protocols declare SecretResponse separately; the fields are the same.
        auto& out = *response->mutable_data();
        for (auto& [name, secret] : *got.mutable_data()) {
          out[name].mutable_secrets()->swap(*secret.mutable_secrets());
        }
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/GetBulkSecret");
}

}  // namespace plughost
