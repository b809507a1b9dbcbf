#include "wrappers/secretstore/grpc_secret_store.h"

namespace plughost {

void GrpcSecretStore::Get(secretspb::GetSecretRequest request, const CallOptions& options,
                          Callback<secretspb::GetSecretResponse> done) {
  Call(&Async::Get, std::move(request), options, std::move(done));
}

void GrpcSecretStore::BulkGet(secretspb::BulkGetSecretRequest request, const CallOptions& options,
                              Callback<secretspb::BulkGetSecretResponse> done) {
  Call(&Async::BulkGet, std::move(request), options, std::move(done));
}

}  // namespace plughost
