#include "examples/components/cpp/secret_service.h"

#include <string_view>

#include "sdk/cpp/unary_reaction.h"

namespace plughost::sample {

grpc::Status SecretInstance::Init(const std::map<std::string, std::string>& metadata) {
  std::map<std::string, std::string> secrets;
  const std::string_view prefix = kSecretPrefix;
  for (const auto& [key, value] : metadata) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    std::string name = key.substr(prefix.size());
    if (name.empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "metadata \"secret.\" names no secret: use secret.<name>");
    }
    secrets[name] = value;
  }
  std::lock_guard lock(mutex_);
  secrets_ = std::move(secrets);
  return grpc::Status::OK;
}

grpc::Status SecretInstance::Get(const std::string& name, secretspb::GetSecretResponse* response) {
  std::lock_guard lock(mutex_);
  auto it = secrets_.find(name);
  if (it == secrets_.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "secret " + name + " not found");
  }
  (*response->mutable_data())[name] = it->second;
  return grpc::Status::OK;
}

void SecretInstance::BulkGet(secretspb::BulkGetSecretResponse* response) {
  std::lock_guard lock(mutex_);
  for (const auto& [name, value] : secrets_) {
    (*(*response->mutable_data())[name].mutable_secrets())[name] = value;
  }
}

grpc::ServerUnaryReactor* SecretStoreService::Init(
    grpc::CallbackServerContext* context, const secretspb::SecretStoreInitRequest* request,
    secretspb::SecretStoreInitResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    const auto& properties = request->metadata().properties();
    std::map<std::string, std::string> metadata(properties.begin(), properties.end());
    return instances_->For(*context)->Init(metadata);
  });
}

grpc::ServerUnaryReactor* SecretStoreService::Features(
    grpc::CallbackServerContext* context, const secretspb::FeaturesRequest* /*request*/,
    secretspb::FeaturesResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* SecretStoreService::Get(grpc::CallbackServerContext* context,
                                                  const secretspb::GetSecretRequest* request,
                                                  secretspb::GetSecretResponse* response) {
  return sdk::ReactUnary(context,
                         [&] { return instances_->For(*context)->Get(request->key(), response); });
}

grpc::ServerUnaryReactor* SecretStoreService::BulkGet(
    grpc::CallbackServerContext* context, const secretspb::BulkGetSecretRequest* /*request*/,
    secretspb::BulkGetSecretResponse* response) {
  return sdk::ReactUnary(context, [&] {
    instances_->For(*context)->BulkGet(response);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* SecretStoreService::Ping(grpc::CallbackServerContext* context,
                                                   const secretspb::PingRequest* /*request*/,
                                                   secretspb::PingResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

}  // namespace plughost::sample
