// GrpcSecretStore against a real SecretStore server on a Unix socket in this process, and the
// Dapr API's secret error texts.
#include "wrappers/secretstore/grpc_secret_store.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include "host/api/api_errors.h"

namespace plughost {
namespace {

std::string InstanceOf(const grpc::CallbackServerContext* context) {
  auto it = context->client_metadata().find("x-component-instance");
  return it == context->client_metadata().end() ? ""
                                                : std::string(it->second.data(), it->second.size());
}

// Answers for whichever instance called: Init records its metadata; Get/BulkGet serve
// "<instance>/<key>" from what Init gave.
class FakeSecretStore final : public secretspb::SecretStore::CallbackService {
 public:
  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const secretspb::SecretStoreInitRequest* request,
                                 secretspb::SecretStoreInitResponse*) override {
    {
      std::lock_guard lock(mutex_);
      auto& secrets = secrets_[InstanceOf(context)];
      for (const auto& [k, v] : request->metadata().properties()) secrets[k] = v;
    }
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const secretspb::FeaturesRequest*,
                                     secretspb::FeaturesResponse* response) override {
    response->add_features(kFeatureMultipleKeyValuesPerSecret);
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const secretspb::GetSecretRequest* request,
                                secretspb::GetSecretResponse* response) override {
    std::lock_guard lock(mutex_);
    auto& secrets = secrets_[InstanceOf(context)];
    auto it = secrets.find(request->key());
    if (it == secrets.end()) {
      return Done(context, grpc::Status(grpc::StatusCode::NOT_FOUND, "no " + request->key()));
    }
    (*response->mutable_data())[request->key()] = it->second;
    if (auto m = request->metadata().find("echo"); m != request->metadata().end()) {
      (*response->mutable_data())["echo"] = m->second;
    }
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* BulkGet(grpc::CallbackServerContext* context,
                                    const secretspb::BulkGetSecretRequest*,
                                    secretspb::BulkGetSecretResponse* response) override {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : secrets_[InstanceOf(context)]) {
      (*(*response->mutable_data())[k].mutable_secrets())[k] = v;
    }
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const secretspb::PingRequest*, secretspb::PingResponse*) override {
    return Done(context, grpc::Status::OK);
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, grpc::Status status) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(std::move(status));
    return reactor;
  }

  std::mutex mutex_;
  std::map<std::string, std::map<std::string, std::string>> secrets_;
};

struct Server {
  Server() {
    char pattern[] = "/tmp/ph-sec-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    socket = dir + "/secrets.sock";
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
  }
  ~Server() {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    std::filesystem::remove_all(dir);
  }
  std::string dir, socket;
  FakeSecretStore service;
  std::unique_ptr<grpc::Server> server;
};

grpc::Status InitSync(SecretStore& store, std::map<std::string, std::string> metadata) {
  std::promise<grpc::Status> done;
  store.Init(InitSpec{"x", "secretstores.fake", std::move(metadata), std::chrono::seconds(5)},
             [&](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

std::pair<grpc::Status, secretspb::GetSecretResponse> GetSync(SecretStore& store,
                                                              secretspb::GetSecretRequest request) {
  std::promise<std::pair<grpc::Status, secretspb::GetSecretResponse>> done;
  store.Get(std::move(request), CallOptions{},
            [&](grpc::Status status, secretspb::GetSecretResponse response) {
              done.set_value({status, std::move(response)});
            });
  return done.get_future().get();
}

}  // namespace

TEST_CASE("GrpcSecretStore: Init, Features, Get, BulkGet and Ping over a socket", "[secrets]") {
  Server server;
  GrpcSecretStore one(server.socket, "one");
  GrpcSecretStore two(server.socket, "two");
  REQUIRE(InitSync(one, {{"user", "ada"}}).ok());
  REQUIRE(InitSync(two, {{"user", "bob"}}).ok());
  CHECK(one.Features() == std::vector<std::string>{kFeatureMultipleKeyValuesPerSecret});

  // Each instance reaches its own data (the x-component-instance header), metadata travels.
  secretspb::GetSecretRequest get;
  get.set_key("user");
  (*get.mutable_metadata())["echo"] = "hi";
  auto [status, response] = GetSync(one, get);
  REQUIRE(status.ok());
  CHECK(response.data().at("user") == "ada");
  CHECK(response.data().at("echo") == "hi");
  CHECK(GetSync(two, get).second.data().at("user") == "bob");

  // The component's NOT_FOUND reaches the caller unchanged.
  get.set_key("nope");
  auto missing = GetSync(one, get).first;
  CHECK(missing.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(missing.error_message() == "no nope");

  std::promise<secretspb::BulkGetSecretResponse> bulk;
  two.BulkGet({}, CallOptions{}, [&](grpc::Status s, secretspb::BulkGetSecretResponse r) {
    CHECK(s.ok());
    bulk.set_value(std::move(r));
  });
  auto all = bulk.get_future().get();
  REQUIRE(all.data().count("user"));
  CHECK(all.data().at("user").secrets().at("user") == "bob");

  std::promise<grpc::Status> ping;
  one.Ping([&](grpc::Status s) { ping.set_value(s); });
  CHECK(ping.get_future().get().ok());
}

TEST_CASE("GrpcSecretStore: a missing component fails Init within its timeout", "[secrets]") {
  GrpcSecretStore store("/tmp/ph-no-such-dir/secrets.sock", "x");
  std::promise<grpc::Status> done;
  store.Init(InitSpec{"x", "secretstores.fake", {}, std::chrono::milliseconds(300)},
             [&](grpc::Status status) { done.set_value(status); });
  auto status = done.get_future().get();
  CHECK_FALSE(status.ok());
  CHECK(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_CASE("secret API errors carry Dapr's codes and words", "[secrets]") {
  auto not_configured = api_errors::SecretStoreNotConfigured();
  CHECK(not_configured.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(not_configured.error_message() == "secret store is not configured");

  auto not_found = api_errors::SecretStoreNotFound("vault");
  CHECK(not_found.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(not_found.error_message() == "failed finding secret store with key vault");

  auto get = api_errors::SecretGetFailed("db", "vault",
                                         grpc::Status(grpc::StatusCode::NOT_FOUND, "no db"));
  CHECK(get.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(get.error_message() == "failed getting secret with key db from secret store vault: no db");

  auto bulk =
      api_errors::BulkSecretGetFailed("vault", grpc::Status(grpc::StatusCode::UNKNOWN, "boom"));
  CHECK(bulk.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(bulk.error_message() == "failed getting secrets from secret store vault: boom");

  // A component that is down or slow keeps its code.
  CHECK(api_errors::SecretGetFailed("k", "s", grpc::Status(grpc::StatusCode::UNAVAILABLE, ""))
            .error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(api_errors::BulkSecretGetFailed("s", grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""))
            .error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
}

}  // namespace plughost
