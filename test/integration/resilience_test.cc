// Component churn and protection, with real processes: a component killed under load and
// restarted, a socket dropped in after start and removed again, a hung component, the API
// token, the message size limit and an unsafe socket folder.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>

#include <atomic>
#include <thread>

#include "test/support/http_get.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {
namespace rt = ::dapr::proto::runtime::v1;
using Clock = std::chrono::steady_clock;

grpc::Status GetState(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                      std::string* value = nullptr,
                      std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetStateResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  auto status = dapr.GetState(&context, request, &response);
  if (value) *value = response.data();
  return status;
}

// Polls until a Get on `store` succeeds; returns how long that took, or nullopt.
std::optional<std::chrono::milliseconds> WaitUntilServing(rt::Dapr::Stub& dapr,
                                                          const std::string& store,
                                                          std::chrono::seconds limit) {
  auto start = Clock::now();
  while (Clock::now() - start < limit) {
    if (GetState(dapr, store, "probe").ok()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("a component killed under load fails calls fast, then is re-initialised on return",
          "[integration][resilience]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "churn");
  REQUIRE(sample);
  WriteFile(dir.File("config.json"), R"({"components": [
      {"name": "store", "type": "state.churn", "metadata": {"keyPrefix": "none", "marker": "m1"}}]})");
  RunningHost host(dir, dir.path(),
                   {"--config", dir.File("config.json"), "--ping-interval", "200"});
  REQUIRE(host.started());
  auto& dapr = host.dapr();
  REQUIRE(GetState(dapr, "store", "k").ok());

  // A steady stream of calls from another thread, recording every outcome.
  std::atomic<bool> running{true};
  std::mutex mutex;
  std::map<grpc::StatusCode, int> outcomes;
  std::chrono::milliseconds slowest_failure{0};
  std::thread load([&] {
    while (running) {
      auto start = Clock::now();
      auto status = GetState(dapr, "store", "k");
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      std::lock_guard lock(mutex);
      outcomes[status.error_code()]++;
      if (!status.ok()) slowest_failure = std::max(slowest_failure, took);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  sample->Signal(SIGKILL);
  REQUIRE(sample->WaitExit(std::chrono::seconds(5)).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));

  // The host stays up while the component is gone.
  rt::GetMetadataResponse metadata;
  CHECK(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
  std::string value;
  auto down = GetState(dapr, "store", "k", &value);
  CHECK(down.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(down.error_message(), Catch::Contains("store"));

  // Same socket path, new process.
  auto restarted = StartSampleComponent(dir, "churn");
  REQUIRE(restarted);
  auto socket_back = Clock::now();
  auto recovered = WaitUntilServing(dapr, "store", std::chrono::seconds(10));
  running = false;
  load.join();
  REQUIRE(recovered.has_value());
  auto recovery = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - socket_back);
  WARN("recovery after the socket reappeared: " << recovery.count()
                                                << " ms; slowest failed call during the outage: "
                                                << slowest_failure.count() << " ms");

  // The new process was initialised again, with the instance's metadata, before serving.
  REQUIRE(GetState(dapr, "store", "__init_metadata__", &value).ok());
  CHECK(nlohmann::json::parse(value)["marker"] == "m1");
  REQUIRE(GetState(dapr, "store", "__init_count__", &value).ok());
  CHECK(value == "1");

  std::lock_guard lock(mutex);
  CHECK(outcomes[grpc::StatusCode::OK] > 0);
  CHECK(outcomes[grpc::StatusCode::UNAVAILABLE] > 0);
  // Nothing hung until its deadline, and nothing failed any other way.
  for (const auto& [code, count] : outcomes) {
    INFO("status code " << static_cast<int>(code) << " seen " << count << " times");
    CHECK((code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE));
  }
  CHECK_THAT(host.Log(), Catch::Contains("recovered"));
}

TEST_CASE("a socket dropped in after start serves; removed, it turns unavailable",
          "[integration][resilience]") {
  TempDir dir;
  RunningHost host(dir, dir.path());
  REQUIRE(host.started());
  auto& dapr = host.dapr();
  CHECK(GetState(dapr, "late", "k").error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  auto sample = StartSampleComponent(dir, "late");
  REQUIRE(sample);
  auto serving = WaitUntilServing(dapr, "late", std::chrono::seconds(10));
  REQUIRE(serving.has_value());
  WARN("hot-plugged socket serving " << serving->count() << " ms after it appeared");
  rt::GetMetadataResponse metadata;
  REQUIRE(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
  bool listed = false;
  for (const auto& c : metadata.registered_components()) listed |= c.type() == "state.late";
  CHECK(listed);

  sample->Signal(SIGTERM);  // a clean stop removes the socket file
  REQUIRE(sample->WaitExit(std::chrono::seconds(5)).has_value());
  grpc::Status status;
  for (int i = 0; i < 200; ++i) {
    status = GetState(dapr, "late", "k");
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(status.error_message(), Catch::Contains("late"));
}

TEST_CASE("a hung component call ends at its deadline; other components keep serving",
          "[integration][resilience]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "slow");
  REQUIRE(sample);
  RunningHost host(dir, dir.path(), {"--component-timeout", "500"});
  REQUIRE(host.started());
  auto& dapr = host.dapr();

  std::thread hung([&] {
    // The host's own bound applies when the app sets a generous deadline.
    CHECK(GetState(dapr, "slow", "k__hang__").error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  });
  // Meanwhile the built-in store and the same component answer other calls.
  CHECK(GetState(dapr, "statestore", "k").ok());
  CHECK(GetState(dapr, "slow", "k").ok());
  hung.join();
  // The app's own, tighter deadline reaches the component call too.
  CHECK(GetState(dapr, "slow", "k__hang__", nullptr, std::chrono::milliseconds(200)).error_code() ==
        grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK(GetState(dapr, "slow", "k").ok());
}

TEST_CASE("the API token is required on every call when set", "[integration][security]") {
  TempDir dir;
  RunningHost host(dir, dir.path(), {"--api-token", "s3cret"});
  REQUIRE(host.started());
  auto& dapr = host.dapr();
  CHECK(GetState(dapr, "statestore", "k").error_code() == grpc::StatusCode::UNAUTHENTICATED);
  rt::GetMetadataResponse metadata;
  CHECK(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);

  auto with_token = [](const std::string& token) {
    auto context = Deadline();
    context->AddMetadata("dapr-api-token", token);
    return context;
  };
  rt::GetStateRequest request;
  request.set_store_name("statestore");
  request.set_key("k");
  rt::GetStateResponse response;
  CHECK(dapr.GetState(with_token("wrong").get(), request, &response).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(dapr.GetState(with_token("s3cret").get(), request, &response).ok());
  CHECK(dapr.GetMetadata(with_token("s3cret").get(), rt::GetMetadataRequest{}, &metadata).ok());
}

// Calls `method` (any arity) with one message of `request` bytes and `token` (none if empty);
// the status and the bytes of the first answer, if any.
grpc::Status CallRaw(grpc::GenericStub& stub, const std::string& method, const std::string& request,
                     std::string* answer = nullptr, const std::string& token = "") {
  grpc::CompletionQueue queue;
  auto context = Deadline();
  if (!token.empty()) context->AddMetadata("dapr-api-token", token);
  auto call = stub.PrepareCall(context.get(), method, &queue);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](auto start) {
    start();
    return queue.Next(&tag, &ok) && ok;
  };
  grpc::Status status;
  if (step([&] { call->StartCall(nullptr); })) {
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    step([&] { call->Write(buffer, nullptr); });
    step([&] { call->WritesDone(nullptr); });
    // Finish completes only once every answer was read.
    grpc::ByteBuffer received;
    for (bool first = true; step([&] { call->Read(&received, nullptr); }); first = false) {
      if (!answer || !first) continue;
      std::vector<grpc::Slice> slices;
      (void)received.Dump(&slices);
      for (const auto& part : slices) answer->append(part.begin(), part.end());
    }
  }
  step([&] { call->Finish(&status, nullptr); });
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

TEST_CASE(
    "with an API token, every Dapr and Layotto method needs it; health, reflection and "
    "the ops endpoints stay open",
    "[integration][security]") {
  TempDir dir;
  int ops_port = FreeTcpPort();
  RunningHost host(
      dir, dir.path(),
      {"--api-token", "s3cret", "--ops-address", "127.0.0.1:" + std::to_string(ops_port)});
  REQUIRE(host.started());
  grpc::GenericStub stub(host.channel());
  int methods = 0;
  for (const char* service_name : {"dapr.proto.runtime.v1.Dapr", "spec.proto.runtime.v1.Runtime"}) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
    REQUIRE(service != nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      std::string method = "/" + std::string(service_name) + "/" + service->method(i)->name();
      auto status = CallRaw(stub, method, "");
      INFO(method << ": " << status.error_code() << " " << status.error_message());
      CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
      ++methods;
    }
  }
  CHECK(methods > 30);
  // Still serving: an unguarded Shutdown would have stopped it.
  CHECK_FALSE(host.process().WaitExit(std::chrono::milliseconds(0)).has_value());

  // gRPC health answers without the token (an empty request asks for the whole server).
  // With it, they answer.
  CHECK(CallRaw(stub, "/dapr.proto.runtime.v1.Dapr/GetMetadata", "", nullptr, "s3cret").ok());
  auto health = CallRaw(stub, "/grpc.health.v1.Health/Check", "");
  INFO(health.error_code() << " " << health.error_message());
  CHECK(health.ok());
  // So does reflection: ServerReflectionRequest{list_services: ""} (field 7, empty string).
  std::string services;
  auto reflection = CallRaw(stub, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                            std::string("\x3a\x00", 2), &services);
  CHECK(reflection.ok());
  CHECK_THAT(services, Catch::Contains("dapr.proto.runtime.v1.Dapr"));

  // The ops port needs no token.
  CHECK(HttpGet(ops_port, "/healthz").status == 200);
  CHECK(HttpGet(ops_port, "/readyz").status == 200);
  CHECK(HttpGet(ops_port, "/metrics").status == 200);
}

TEST_CASE("requests over the size limit get RESOURCE_EXHAUSTED", "[integration][security]") {
  TempDir dir;
  RunningHost host(dir, dir.path(), {"--max-message-bytes", "2048"});
  REQUIRE(host.started());
  rt::SaveStateRequest save;
  save.set_store_name("statestore");
  auto* item = save.add_states();
  item->set_key("big");
  item->set_value(std::string(8192, 'x'));
  google::protobuf::Empty empty;
  CHECK(host.dapr().SaveState(Deadline().get(), save, &empty).error_code() ==
        grpc::StatusCode::RESOURCE_EXHAUSTED);
  item->set_value("small");
  CHECK(host.dapr().SaveState(Deadline().get(), save, &empty).ok());
}

TEST_CASE("a socket folder every user can write to is refused unless allowed",
          "[integration][security]") {
  TempDir dir;
  std::string open_dir = dir.File("open");
  ::mkdir(open_dir.c_str(), 0777);
  ::chmod(open_dir.c_str(), 0777);
  auto port = "127.0.0.1:" + std::to_string(FreeTcpPort());
  auto refused = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", open_dir, "--grpc-address", port},
      dir.File("refused.log"));
  auto code = refused->WaitExit(std::chrono::seconds(10));
  REQUIRE(code.has_value());
  CHECK(*code == 2);
  CHECK_THAT(refused->Log(), Catch::Contains("writable by every user"));
  CHECK_THAT(refused->Log(), Catch::Contains("--allow-insecure-sockets-dir"));

  RunningHost allowed(dir, open_dir, {"--allow-insecure-sockets-dir"});
  CHECK(allowed.started());
}

}  // namespace plughost::testing
