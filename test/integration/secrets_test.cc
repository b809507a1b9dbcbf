// GetSecret and GetBulkSecret through the real host: the built-in secretstores.local.env (the
// host's own environment, set for its process) and secretstores.local.file (a temp JSON file),
// and the C++ sample component's SecretStore on a real socket. Plus Dapr's errors.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;

using Pairs = std::map<std::string, std::string>;
using Secrets = std::map<std::string, Pairs>;

// The host started with extra environment variables (RunningHost passes none of its own).
struct HostWithEnv {
  HostWithEnv(const TempDir& dir, const std::string& config,
              const std::map<std::string, std::string>& env)
      : port(FreeTcpPort()) {
    std::vector<std::string> argv = {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(),
                                     "--grpc-address", "127.0.0.1:" + std::to_string(port)};
    // No config: the embedded defaults.
    if (!config.empty()) argv.insert(argv.end(), {"--config", config});
    process = ChildProcess::Spawn(argv, dir.File("host.log"), env);
    started = WaitForPort(port, std::chrono::seconds(10));
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                       grpc::InsecureChannelCredentials());
    dapr = rt::Dapr::NewStub(channel);
  }
  int port;
  bool started = false;
  std::unique_ptr<ChildProcess> process;
  std::unique_ptr<rt::Dapr::Stub> dapr;
};

grpc::Status GetSecret(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                       Pairs* data) {
  rt::GetSecretRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetSecretResponse response;
  auto status = dapr.GetSecret(Deadline().get(), request, &response);
  *data = Pairs(response.data().begin(), response.data().end());
  return status;
}

Pairs MustGetSecret(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key) {
  Pairs data;
  auto status = GetSecret(dapr, store, key, &data);
  INFO(store << "/" << key << ": " << status.error_message());
  REQUIRE(status.ok());
  return data;
}

grpc::Status GetBulkSecret(rt::Dapr::Stub& dapr, const std::string& store, Secrets* secrets) {
  rt::GetBulkSecretRequest request;
  request.set_store_name(store);
  rt::GetBulkSecretResponse response;
  auto status = dapr.GetBulkSecret(Deadline().get(), request, &response);
  secrets->clear();
  for (const auto& [name, secret] : response.data()) {
    (*secrets)[name] = Pairs(secret.secrets().begin(), secret.secrets().end());
  }
  return status;
}

constexpr char kConfig[] = R"({
  "app_id": "secrets-app",
  "components": [
    {"name": "env", "type": "secretstores.local.env"},
    {"name": "env-prefixed", "type": "secretstores.local.env", "metadata": {"prefix": "PH_IT_"}},
    {"name": "files", "type": "secretstores.local.file",
     "metadata": {"secretsFile": "SECRETS_FILE"}},
    {"name": "files-multi", "type": "secretstores.local.file",
     "metadata": {"secretsFile": "SECRETS_FILE", "multiValued": true}},
    {"name": "vault", "type": "secretstores.cpp-sample",
     "metadata": {"secret.db-password": "pw-from-sample", "secret.api-key": "key-2", "other": "x"}}
  ]})";

std::string ConfigWithFile(const std::string& secrets_file) {
  std::string config = kConfig;
  for (auto at = config.find("SECRETS_FILE"); at != std::string::npos;
       at = config.find("SECRETS_FILE")) {
    config.replace(at, std::string("SECRETS_FILE").size(), secrets_file);
  }
  return config;
}

// Writes the files the host reads at startup; returns the config path.
std::string WriteSecretsConfig(const TempDir& dir) {
  WriteFile(dir.File("secrets.json"),
            R"({"db": {"user": "ada", "password": "pw-from-file"}, "token": "t0k"})");
  WriteFile(dir.File("config.json"), ConfigWithFile(dir.File("secrets.json")));
  return dir.File("config.json");
}

// Members start in order: files, then the sample component, then the host.
struct SecretsEnv {
  TempDir dir;
  std::string config = WriteSecretsConfig(dir);
  std::unique_ptr<ChildProcess> sample = StartSampleComponent(dir, "cpp-sample");
  HostWithEnv host{dir, config, {{"PH_IT_DB_PASSWORD", "hunter2"}, {"PH_IT_API_KEY", "abc"}}};
};

}  // namespace

TEST_CASE("GetSecret and GetBulkSecret through the host, built-in and pluggable",
          "[integration][secrets]") {
  SecretsEnv env;
  REQUIRE(env.sample);
  INFO(env.host.process->Log());
  REQUIRE(env.host.started);
  auto& dapr = *env.host.dapr;

  // local.env reads the host process's environment.
  CHECK(MustGetSecret(dapr, "env", "PH_IT_DB_PASSWORD") == Pairs{{"PH_IT_DB_PASSWORD", "hunter2"}});
  // With a prefix, names are given without it and only its variables are visible.
  CHECK(MustGetSecret(dapr, "env-prefixed", "API_KEY") == Pairs{{"API_KEY", "abc"}});
  Secrets secrets;
  REQUIRE(GetBulkSecret(dapr, "env-prefixed", &secrets).ok());
  CHECK(secrets ==
        Secrets{{"DB_PASSWORD", {{"DB_PASSWORD", "hunter2"}}}, {"API_KEY", {{"API_KEY", "abc"}}}});
  REQUIRE(GetBulkSecret(dapr, "env", &secrets).ok());
  CHECK(secrets["PH_IT_API_KEY"] == Pairs{{"PH_IT_API_KEY", "abc"}});

  // local.file: nested keys flattened with ":"; multiValued keeps the top level as secrets.
  CHECK(MustGetSecret(dapr, "files", "db:password") == Pairs{{"db:password", "pw-from-file"}});
  REQUIRE(GetBulkSecret(dapr, "files", &secrets).ok());
  CHECK(secrets == Secrets{{"db:user", {{"db:user", "ada"}}},
                           {"db:password", {{"db:password", "pw-from-file"}}},
                           {"token", {{"token", "t0k"}}}});
  CHECK(MustGetSecret(dapr, "files-multi", "db") ==
        Pairs{{"user", "ada"}, {"password", "pw-from-file"}});

  // The sample component: secrets from its instance's Init metadata, over its socket.
  CHECK(MustGetSecret(dapr, "vault", "db-password") == Pairs{{"db-password", "pw-from-sample"}});
  REQUIRE(GetBulkSecret(dapr, "vault", &secrets).ok());
  CHECK(secrets == Secrets{{"db-password", {{"db-password", "pw-from-sample"}}},
                           {"api-key", {{"api-key", "key-2"}}}});
}

TEST_CASE("secret errors carry Dapr's codes and messages", "[integration][secrets]") {
  SecretsEnv env;
  REQUIRE(env.sample);
  INFO(env.host.process->Log());
  REQUIRE(env.host.started);
  auto& dapr = *env.host.dapr;
  Pairs data;

  auto unknown = GetSecret(dapr, "nope", "x", &data);
  CHECK(unknown.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(unknown.error_message() == "failed finding secret store with key nope");
  Secrets secrets;
  auto unknown_bulk = GetBulkSecret(dapr, "nope", &secrets);
  CHECK(unknown_bulk.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(unknown_bulk.error_message() == "failed finding secret store with key nope");

  for (const std::string store : {"env", "files", "vault"}) {
    INFO("store " << store);
    auto missing = GetSecret(dapr, store, "PH_IT_NOT_THERE", &data);
    CHECK(missing.error_code() == grpc::StatusCode::INTERNAL);
    CHECK_THAT(missing.error_message(),
               Catch::StartsWith("failed getting secret with key PH_IT_NOT_THERE from secret "
                                 "store " +
                                 store + ": "));
    CHECK(data.empty());
  }
}

TEST_CASE("with no secret store configured, secret calls fail as in Dapr",
          "[integration][secrets]") {
  TempDir dir;
  WriteFile(dir.File("config.json"),
            R"({"components": [{"name": "statestore", "type": "state.in-memory"}]})");
  RunningHost host(dir, dir.path(), {"--config", dir.File("config.json")});
  REQUIRE(host.started());
  Pairs data;
  auto status = GetSecret(host.dapr(), "env", "HOME", &data);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(status.error_message() == "secret store is not configured");
  Secrets secrets;
  CHECK(GetBulkSecret(host.dapr(), "env", &secrets).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("a local.file store without a usable secretsFile stops the host, naming the field",
          "[integration][secrets]") {
  TempDir dir;
  WriteFile(dir.File("missing.json"), R"({"components": [
      {"name": "files", "type": "secretstores.local.file"}]})");
  auto missing = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(), "--grpc-address",
       "127.0.0.1:" + std::to_string(FreeTcpPort()), "--config", dir.File("missing.json")},
      dir.File("missing.log"));
  auto code = missing->WaitExit(std::chrono::seconds(20));
  REQUIRE(code.has_value());
  CHECK(*code != 0);
  CHECK_THAT(missing->Log(), Catch::Contains("metadata.secretsFile is required"));

  WriteFile(dir.File("broken.json"), "{ nope");
  WriteFile(dir.File("invalid.json"), R"({"components": [
      {"name": "files", "type": "secretstores.local.file",
       "metadata": {"secretsFile": ")" + dir.File("broken.json") +
                                          R"("}}]})");
  auto invalid = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(), "--grpc-address",
       "127.0.0.1:" + std::to_string(FreeTcpPort()), "--config", dir.File("invalid.json")},
      dir.File("invalid.log"));
  code = invalid->WaitExit(std::chrono::seconds(20));
  REQUIRE(code.has_value());
  CHECK(*code != 0);
  CHECK_THAT(invalid->Log(), Catch::Contains("metadata.secretsFile"));
  CHECK_THAT(invalid->Log(), Catch::Contains("not a JSON object"));
}

TEST_CASE("the embedded defaults include secretstore (local.env) and configstore",
          "[integration][secrets]") {
  TempDir dir;
  HostWithEnv host(
      dir, "", {{"PLUGHOST_SECRET_PH_IT_DEFAULT", "from-env"}, {"PH_IT_NOT_A_SECRET", "hidden"}});
  INFO(host.process->Log());
  REQUIRE(host.started);
  // Only variables under the default prefix are secrets, named without it.
  CHECK(MustGetSecret(*host.dapr, "secretstore", "PH_IT_DEFAULT") ==
        Pairs{{"PH_IT_DEFAULT", "from-env"}});
  Pairs unused;
  CHECK(GetSecret(*host.dapr, "secretstore", "PH_IT_NOT_A_SECRET", &unused).error_code() ==
        grpc::StatusCode::INTERNAL);
  CHECK(GetSecret(*host.dapr, "secretstore", "PATH", &unused).error_code() ==
        grpc::StatusCode::INTERNAL);
  Secrets all;
  REQUIRE(GetBulkSecret(*host.dapr, "secretstore", &all).ok());
  CHECK(all.count("PH_IT_DEFAULT") == 1);
  CHECK(all.count("PH_IT_NOT_A_SECRET") == 0);
  CHECK(all.count("PATH") == 0);
  CHECK(all.count("HOME") == 0);
  rt::GetConfigurationRequest request;
  request.set_store_name("configstore");
  rt::GetConfigurationResponse response;
  CHECK(host.dapr->GetConfiguration(Deadline().get(), request, &response).ok());
}

}  // namespace plughost::testing
