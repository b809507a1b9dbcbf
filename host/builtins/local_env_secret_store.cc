#include "host/builtins/local_env_secret_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "host/common/log.h"

namespace plughost {

void LocalEnvSecretStore::Init(const InitSpec& spec, StatusCallback done) {
  std::string prefix;
  if (auto it = spec.metadata.find("prefix"); it != spec.metadata.end()) prefix = it->second;
  if (prefix.empty()) {
    PH_LOG_WARN("secrets",
                "secret store '{}' ({}) has no \"prefix\" metadata: every "
                "environment variable of the host, credentials included, is readable by any API "
                "caller",
                spec.instance_name, spec.type);
  }
  {
    std::lock_guard lock(mutex_);
    prefix_ = std::move(prefix);
  }
  done(grpc::Status::OK);
}

std::string LocalEnvSecretStore::Prefix() const {
  std::lock_guard lock(mutex_);
  return prefix_;
}

void LocalEnvSecretStore::Get(secretspb::GetSecretRequest request, const CallOptions& /*options*/,
                              Callback<secretspb::GetSecretResponse> done) {
  const std::string& key = request.key();
  // An empty key or one holding '=' can never name a variable; getenv would misread the latter.
  const char* value = key.empty() || key.find('=') != std::string::npos
                          ? nullptr
                          : std::getenv((Prefix() + key).c_str());
  if (value == nullptr) {
    done(grpc::Status(grpc::StatusCode::NOT_FOUND,
                      fmt::format("secret {} not found: no such environment variable", key)),
         {});
    return;
  }
  secretspb::GetSecretResponse response;
  (*response.mutable_data())[key] = value;
  done(grpc::Status::OK, std::move(response));
}

void LocalEnvSecretStore::BulkGet(secretspb::BulkGetSecretRequest /*request*/,
                                  const CallOptions& /*options*/,
                                  Callback<secretspb::BulkGetSecretResponse> done) {
  const std::string prefix = Prefix();
  secretspb::BulkGetSecretResponse response;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    auto equals = variable.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view name = variable.substr(0, equals);
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) continue;
    std::string secret(name.substr(prefix.size()));
    auto& secrets = *(*response.mutable_data())[secret].mutable_secrets();
    secrets[secret] = std::string(variable.substr(equals + 1));
  }
  done(grpc::Status::OK, std::move(response));
}

}  // namespace plughost
