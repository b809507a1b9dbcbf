// secretstores.local.file: secrets read once, at Init, from a JSON file.
//
// Metadata:
//   secretsFile      (required) path of a JSON object file.
//   nestedSeparator  (default ":") joins the keys of nested objects and array indexes.
//   multiValued      "true": each top-level key is one secret whose key/value pairs are its
//                    nested members (deeper levels flattened with the separator). Otherwise
//                    every leaf is its own secret, named by its flattened path.
// Get(key) returns {key: value} (multiValued: the secret's pairs); an unknown key is NOT_FOUND.
// BulkGet returns every secret.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "host/components/secret_store.h"

namespace plughost {

class LocalFileSecretStore : public SecretStore {
 public:
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override;
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }

  void Get(secretspb::GetSecretRequest request, const CallOptions& options,
           Callback<secretspb::GetSecretResponse> done) override;
  void BulkGet(secretspb::BulkGetSecretRequest request, const CallOptions& options,
               Callback<secretspb::BulkGetSecretResponse> done) override;

 private:
  using Secrets = std::map<std::string, std::map<std::string, std::string>>;

  mutable std::mutex mutex_;
  bool multi_valued_ = false;
  Secrets secrets_;  // secret name -> its key/value pairs
};

}  // namespace plughost
