#include "host/builtins/local_env_secret_store.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

namespace plughost {
namespace {

// The built-in answers synchronously; each helper also checks `done` ran exactly once.
void InitWith(LocalEnvSecretStore& store, std::map<std::string, std::string> metadata) {
  int calls = 0;
  store.Init(InitSpec{"env", "secretstores.local.env", std::move(metadata)},
             [&](grpc::Status status) {
               ++calls;
               CHECK(status.ok());
             });
  REQUIRE(calls == 1);
}

grpc::Status Get(LocalEnvSecretStore& store, const std::string& key,
                 std::map<std::string, std::string>* data) {
  secretspb::GetSecretRequest request;
  request.set_key(key);
  std::optional<grpc::Status> result;
  store.Get(request, CallOptions{}, [&](grpc::Status status, secretspb::GetSecretResponse got) {
    REQUIRE_FALSE(result.has_value());
    result = status;
    data->clear();
    data->insert(got.data().begin(), got.data().end());
  });
  REQUIRE(result.has_value());
  return *result;
}

std::map<std::string, std::map<std::string, std::string>> BulkGet(LocalEnvSecretStore& store) {
  std::map<std::string, std::map<std::string, std::string>> all;
  int calls = 0;
  store.BulkGet({}, CallOptions{}, [&](grpc::Status status, secretspb::BulkGetSecretResponse got) {
    ++calls;
    CHECK(status.ok());
    for (const auto& [name, secret] : got.data()) {
      all[name].insert(secret.secrets().begin(), secret.secrets().end());
    }
  });
  REQUIRE(calls == 1);
  return all;
}

}  // namespace

TEST_CASE("local.env returns an environment variable as {name: value}", "[secrets]") {
  ::setenv("PH_ENV_TEST_DB_PASSWORD", "s3cret", 1);
  ::setenv("PH_ENV_TEST_EMPTY", "", 1);
  LocalEnvSecretStore store;
  InitWith(store, {});
  CHECK(store.Features().empty());

  std::map<std::string, std::string> data;
  REQUIRE(Get(store, "PH_ENV_TEST_DB_PASSWORD", &data).ok());
  CHECK(data == std::map<std::string, std::string>{{"PH_ENV_TEST_DB_PASSWORD", "s3cret"}});
  // Set but empty is still a secret.
  REQUIRE(Get(store, "PH_ENV_TEST_EMPTY", &data).ok());
  CHECK(data == std::map<std::string, std::string>{{"PH_ENV_TEST_EMPTY", ""}});

  auto missing = Get(store, "PH_ENV_TEST_NOT_SET_ANYWHERE", &data);
  CHECK(missing.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(missing.error_message(), Catch::Contains("PH_ENV_TEST_NOT_SET_ANYWHERE"));
  CHECK(Get(store, "", &data).error_code() == grpc::StatusCode::NOT_FOUND);
  // "A=B" would make getenv look up "A"; it must not.
  ::setenv("PH_ENV_TEST_A", "a", 1);
  CHECK(Get(store, "PH_ENV_TEST_A=x", &data).error_code() == grpc::StatusCode::NOT_FOUND);

  auto all = BulkGet(store);
  REQUIRE(all.count("PH_ENV_TEST_DB_PASSWORD"));
  CHECK(all["PH_ENV_TEST_DB_PASSWORD"] ==
        std::map<std::string, std::string>{{"PH_ENV_TEST_DB_PASSWORD", "s3cret"}});
  CHECK(all.count("PATH") == 1);  // no prefix: everything is visible
}

TEST_CASE("local.env with a prefix sees only its variables, named without it", "[secrets]") {
  ::setenv("PH_PFX_USER", "ada", 1);
  ::setenv("PH_PFX_TOKEN", "t0k", 1);
  ::setenv("PH_OTHER_TOKEN", "no", 1);
  LocalEnvSecretStore store;
  InitWith(store, {{"prefix", "PH_PFX_"}});

  std::map<std::string, std::string> data;
  REQUIRE(Get(store, "USER", &data).ok());
  CHECK(data == std::map<std::string, std::string>{{"USER", "ada"}});
  // The full name is not a name under the prefix, and other variables are invisible.
  CHECK(Get(store, "PH_PFX_USER", &data).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(Get(store, "PATH", &data).error_code() == grpc::StatusCode::NOT_FOUND);

  auto all = BulkGet(store);
  CHECK(all == std::map<std::string, std::map<std::string, std::string>>{
                   {"USER", {{"USER", "ada"}}}, {"TOKEN", {{"TOKEN", "t0k"}}}});

  // Init again without a prefix: everything is visible again.
  InitWith(store, {});
  REQUIRE(Get(store, "PH_OTHER_TOKEN", &data).ok());
  CHECK(data["PH_OTHER_TOKEN"] == "no");
}

}  // namespace plughost
