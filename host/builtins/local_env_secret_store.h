// secretstores.local.env: the host process's environment variables as secrets.
//
// Get("NAME") returns {"NAME": <value of $NAME>}; an unset variable is NOT_FOUND. With metadata
// "prefix" set (e.g. "MYAPP_"), only variables starting with it are visible, and their names
// are given without it: Get("DB") reads $MYAPP_DB. BulkGet returns every visible variable as
// {name: {name: value}}. Without a prefix every variable of the host is visible (Dapr's
// behaviour), which Init warns about; the embedded default instance uses "PLUGHOST_SECRET_".
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "host/components/secret_store.h"

namespace plughost {

class LocalEnvSecretStore : public SecretStore {
 public:
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }

  void Get(secretspb::GetSecretRequest request, const CallOptions& options,
           Callback<secretspb::GetSecretResponse> done) override;
  void BulkGet(secretspb::BulkGetSecretRequest request, const CallOptions& options,
               Callback<secretspb::BulkGetSecretResponse> done) override;

 private:
  std::string Prefix() const;

  mutable std::mutex mutex_;
  std::string prefix_;
};

}  // namespace plughost
