#include "host/builtins/local_file_secret_store.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/bounded_json.h"

namespace plughost {
namespace {

constexpr char kFileKey[] = "secretsFile";
constexpr char kSeparatorKey[] = "nestedSeparator";
constexpr char kMultiValuedKey[] = "multiValued";

std::string MetadataOr(const std::map<std::string, std::string>& metadata, const char* key,
                       const std::string& fallback) {
  auto it = metadata.find(key);
  return it == metadata.end() || it->second.empty() ? fallback : it->second;
}

// A leaf's text: strings as they are, everything else as JSON (1, 2.5, true, null).
std::string LeafText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Adds every leaf under `value` to `out`, named by its path joined with `separator`.
void Flatten(const nlohmann::json& value, const std::string& path, const std::string& separator,
             std::map<std::string, std::string>* out) {
  auto child_path = [&](const std::string& name) {
    return path.empty() ? name : path + separator + name;
  };
  if (value.is_object()) {
    for (const auto& [name, child] : value.items())
      Flatten(child, child_path(name), separator, out);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      Flatten(value[i], child_path(std::to_string(i)), separator, out);
    }
  } else {
    (*out)[path] = LeafText(value);
  }
}

grpc::Status InvalidMetadata(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

}  // namespace

void LocalFileSecretStore::Init(const InitSpec& spec, StatusCallback done) {
  std::string path = MetadataOr(spec.metadata, kFileKey, "");
  if (path.empty()) {
    done(InvalidMetadata(fmt::format(
        "metadata.{} is required: set it to the path of a JSON file holding the secrets",
        kFileKey)));
    return;
  }
  std::string separator = MetadataOr(spec.metadata, kSeparatorKey, ":");
  std::string multi = MetadataOr(spec.metadata, kMultiValuedKey, "false");
  if (multi != "true" && multi != "false") {
    done(InvalidMetadata(fmt::format("metadata.{} must be \"true\" or \"false\", not \"{}\"",
                                     kMultiValuedKey, multi)));
    return;
  }
  std::ifstream file(path);
  if (!file) {
    done(InvalidMetadata(fmt::format("metadata.{}: cannot read \"{}\"", kFileKey, path)));
    return;
  }
  std::stringstream text;
  text << file.rdbuf();
  auto json = ParseBoundedJson(text.str());
  if (json.is_discarded() || !json.is_object()) {
    done(InvalidMetadata(fmt::format("metadata.{}: \"{}\" is not a JSON object", kFileKey, path)));
    return;
  }

  Secrets secrets;
  if (multi == "true") {
    for (const auto& [name, value] : json.items()) {
      auto& pairs = secrets[name];
      if (value.is_object() || value.is_array()) {
        Flatten(value, "", separator, &pairs);
      } else {
        pairs[name] = LeafText(value);
      }
    }
  } else {
    std::map<std::string, std::string> flat;
    Flatten(json, "", separator, &flat);
    for (auto& [name, value] : flat) secrets[name][name] = std::move(value);
  }
  {
    std::lock_guard lock(mutex_);
    multi_valued_ = multi == "true";
    secrets_ = std::move(secrets);
  }
  done(grpc::Status::OK);
}

std::vector<std::string> LocalFileSecretStore::Features() const {
  std::lock_guard lock(mutex_);
  if (multi_valued_) return {kFeatureMultipleKeyValuesPerSecret};
  return {};
}

void LocalFileSecretStore::Get(secretspb::GetSecretRequest request, const CallOptions& /*options*/,
                               Callback<secretspb::GetSecretResponse> done) {
  secretspb::GetSecretResponse response;
  bool found = false;
  {
    std::lock_guard lock(mutex_);
    if (auto it = secrets_.find(request.key()); it != secrets_.end()) {
      response.mutable_data()->insert(it->second.begin(), it->second.end());
      found = true;
    }
  }
  if (!found) {
    done(grpc::Status(grpc::StatusCode::NOT_FOUND,
                      fmt::format("secret {} not found", request.key())),
         {});
    return;
  }
  done(grpc::Status::OK, std::move(response));
}

void LocalFileSecretStore::BulkGet(secretspb::BulkGetSecretRequest /*request*/,
                                   const CallOptions& /*options*/,
                                   Callback<secretspb::BulkGetSecretResponse> done) {
  secretspb::BulkGetSecretResponse response;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, pairs] : secrets_) {
      (*response.mutable_data())[name].mutable_secrets()->insert(pairs.begin(), pairs.end());
    }
  }
  done(grpc::Status::OK, std::move(response));
}

}  // namespace plughost
