#include "host/builtins/local_file_secret_store.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace plughost {
namespace {

using Pairs = std::map<std::string, std::string>;

// A JSON file in a fresh directory, removed with it.
class SecretsFile {
 public:
  explicit SecretsFile(const std::string& content) {
    char pattern[] = "/tmp/ph-secrets-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir_ = pattern;
    path_ = dir_ + "/secrets.json";
    std::ofstream(path_) << content;
  }
  ~SecretsFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

grpc::Status Init(LocalFileSecretStore& store, std::map<std::string, std::string> metadata) {
  std::optional<grpc::Status> result;
  store.Init(InitSpec{"files", "secretstores.local.file", std::move(metadata)},
             [&](grpc::Status status) { result = status; });
  REQUIRE(result.has_value());
  return *result;
}

grpc::Status Get(LocalFileSecretStore& store, const std::string& key, Pairs* data) {
  secretspb::GetSecretRequest request;
  request.set_key(key);
  std::optional<grpc::Status> result;
  store.Get(request, CallOptions{}, [&](grpc::Status status, secretspb::GetSecretResponse got) {
    result = status;
    *data = Pairs(got.data().begin(), got.data().end());
  });
  REQUIRE(result.has_value());
  return *result;
}

std::map<std::string, Pairs> BulkGet(LocalFileSecretStore& store) {
  std::map<std::string, Pairs> all;
  bool called = false;
  store.BulkGet({}, CallOptions{}, [&](grpc::Status status, secretspb::BulkGetSecretResponse got) {
    called = true;
    CHECK(status.ok());
    for (const auto& [name, secret] : got.data()) {
      all[name] = Pairs(secret.secrets().begin(), secret.secrets().end());
    }
  });
  REQUIRE(called);
  return all;
}

constexpr char kNested[] = R"({
  "db": {"user": "ada", "password": "pw", "replica": {"host": "r1"}},
  "token": "abc",
  "port": 5432,
  "enabled": true,
  "hosts": ["h0", "h1"]
})";

}  // namespace

TEST_CASE("local.file flattens nested objects into single secrets", "[secrets]") {
  SecretsFile file(kNested);
  LocalFileSecretStore store;
  REQUIRE(Init(store, {{"secretsFile", file.path()}}).ok());
  CHECK(store.Features().empty());

  Pairs data;
  REQUIRE(Get(store, "db:user", &data).ok());
  CHECK(data == Pairs{{"db:user", "ada"}});
  REQUIRE(Get(store, "db:replica:host", &data).ok());
  CHECK(data == Pairs{{"db:replica:host", "r1"}});
  REQUIRE(Get(store, "port", &data).ok());
  CHECK(data == Pairs{{"port", "5432"}});
  REQUIRE(Get(store, "enabled", &data).ok());
  CHECK(data == Pairs{{"enabled", "true"}});
  REQUIRE(Get(store, "hosts:1", &data).ok());
  CHECK(data == Pairs{{"hosts:1", "h1"}});

  // An object is not a leaf, so it is not a secret in flat mode.
  auto missing = Get(store, "db", &data);
  CHECK(missing.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(missing.error_message(), Catch::Contains("db"));

  auto all = BulkGet(store);
  CHECK(all.size() == 8);
  CHECK(all["token"] == Pairs{{"token", "abc"}});
  CHECK(all["db:password"] == Pairs{{"db:password", "pw"}});
}

TEST_CASE("local.file honours nestedSeparator", "[secrets]") {
  SecretsFile file(kNested);
  LocalFileSecretStore store;
  REQUIRE(Init(store, {{"secretsFile", file.path()}, {"nestedSeparator", "."}}).ok());
  Pairs data;
  REQUIRE(Get(store, "db.replica.host", &data).ok());
  CHECK(data == Pairs{{"db.replica.host", "r1"}});
  CHECK(Get(store, "db:replica:host", &data).error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("local.file multiValued makes top-level keys secrets of several pairs", "[secrets]") {
  SecretsFile file(kNested);
  LocalFileSecretStore store;
  REQUIRE(Init(store, {{"secretsFile", file.path()}, {"multiValued", "true"}}).ok());
  CHECK(store.Features() == std::vector<std::string>{kFeatureMultipleKeyValuesPerSecret});

  Pairs data;
  REQUIRE(Get(store, "db", &data).ok());
  CHECK(data == Pairs{{"user", "ada"}, {"password", "pw"}, {"replica:host", "r1"}});
  REQUIRE(Get(store, "token", &data).ok());
  CHECK(data == Pairs{{"token", "abc"}});
  CHECK(Get(store, "db:user", &data).error_code() == grpc::StatusCode::NOT_FOUND);

  auto all = BulkGet(store);
  CHECK(all.size() == 5);
  CHECK(all["db"]["user"] == "ada");
  CHECK(all["hosts"] == Pairs{{"0", "h0"}, {"1", "h1"}});
}

TEST_CASE("local.file Init names the field when secretsFile is missing or bad", "[secrets]") {
  LocalFileSecretStore store;
  auto missing = Init(store, {});
  CHECK(missing.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(missing.error_message(), Catch::Contains("metadata.secretsFile is required"));

  auto unreadable = Init(store, {{"secretsFile", "/nonexistent/ph/secrets.json"}});
  CHECK(unreadable.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(unreadable.error_message(), Catch::Contains("metadata.secretsFile"));
  CHECK_THAT(unreadable.error_message(), Catch::Contains("/nonexistent/ph/secrets.json"));

  SecretsFile broken("{\"a\": ");
  auto invalid = Init(store, {{"secretsFile", broken.path()}});
  CHECK(invalid.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(invalid.error_message(), Catch::Contains("metadata.secretsFile"));
  CHECK_THAT(invalid.error_message(), Catch::Contains("not a JSON object"));

  SecretsFile array("[1, 2]");
  CHECK(Init(store, {{"secretsFile", array.path()}}).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);

  SecretsFile good("{}");
  auto bad_flag = Init(store, {{"secretsFile", good.path()}, {"multiValued", "yes"}});
  CHECK(bad_flag.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(bad_flag.error_message(), Catch::Contains("metadata.multiValued"));
}

}  // namespace plughost
