// Health checks that cannot cause outages: a component whose Ping is slower than the deadline
// but whose calls succeed keeps serving and is never sent a second Init; /readyz reports it
// only after the configured number of failed checks in a row.
#include <catch2/catch.hpp>
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <atomic>
#include <thread>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "test/support/http_get.h"
#include "test/support/running_host.h"
#include "sdk/cpp/unix_socket_server.h"

namespace plughost::testing {
namespace {
namespace rt = ::dapr::proto::runtime::v1;
namespace cpb = ::dapr::proto::components::v1;
using namespace std::chrono_literals;

// A state store in this process: Get answers at once, Ping sleeps past any deadline the test
// gives the host (a GC pause, a loaded machine), Init is counted.
class SlowPingStore final : public cpb::StateStore::Service {
 public:
  std::atomic<int> inits{0};
  std::atomic<int> pings{0};

  grpc::Status Init(grpc::ServerContext*, const cpb::InitRequest*, cpb::InitResponse*) override {
    inits++;
    return grpc::Status::OK;
  }
  grpc::Status Features(grpc::ServerContext*, const cpb::FeaturesRequest*,
                        cpb::FeaturesResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status Get(grpc::ServerContext*, const cpb::GetRequest* request,
                   cpb::GetResponse* response) override {
    response->set_data("value of " + request->key());
    return grpc::Status::OK;
  }
  grpc::Status Ping(grpc::ServerContext* context, const cpb::PingRequest*,
                    cpb::PingResponse*) override {
    pings++;
    // Past any Ping deadline (also the 2 s one hosts had before); ends early when the host gives up
    // on the call.
    for (int i = 0; i < 300 && !context->IsCancelled(); ++i) std::this_thread::sleep_for(10ms);
    return grpc::Status::OK;
  }
};

grpc::Status GetState(rt::Dapr::Stub& dapr, const std::string& key, std::string* value) {
  rt::GetStateRequest request;
  request.set_store_name("store");
  request.set_key(key);
  rt::GetStateResponse response;
  auto context = Deadline();
  auto status = dapr.GetState(context.get(), request, &response);
  *value = response.data();
  return status;
}

}  // namespace

TEST_CASE("a component with slow Pings keeps serving and is not initialised again",
          "[integration][health]") {
  TempDir dir;
  SlowPingStore store;
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.RegisterService(&store);
  auto server = sdk::StartOnUnixSocket(builder, dir.File("slowping.sock"));
  REQUIRE(server.ok());

  WriteFile(dir.File("config.json"), R"({"components": [
      {"name": "store", "type": "state.slowping", "metadata": {"keyPrefix": "none"}}]})");
  int ops_port = FreeTcpPort();
  RunningHost host(
      dir, dir.path(),
      {"--config", dir.File("config.json"), "--ping-interval", "50", "--ping-timeout", "100",
       "--ping-failures", "3", "--ops-address", "127.0.0.1:" + std::to_string(ops_port)});
  REQUIRE(host.started());
  REQUIRE(store.inits == 1);

  // Many Pings miss their deadline; every call in the meantime is served.
  int served = 0;
  while (store.pings < 8) {
    std::string value;
    auto status = GetState(host.dapr(), "k", &value);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(value == "value of k");
    ++served;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(served > 0);
  CHECK(store.inits == 1);  // no second Init for a process that never went away

  // Still connected, so still served; /readyz names it as failing its health checks.
  REQUIRE(Eventually([&] { return HttpGet(ops_port, "/readyz").status == 503; }));
  for (int i = 0; i < 20; ++i) {
    std::string value;
    auto status = GetState(host.dapr(), "k", &value);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }
  CHECK(store.inits == 1);
  auto readyz = HttpGet(ops_port, "/readyz");
  CHECK_THAT(readyz.body, Catch::Contains("failing its health checks"));
  CHECK_THAT(HttpGet(ops_port, "/readyz?verbose").body,
             Catch::Contains("health checks in a row failed"));
  CHECK_THAT(host.Log(), Catch::Contains("failing its health checks"));
  CHECK_THAT(host.Log(), !Catch::Contains("unavailable"));
  (*server)->Shutdown(std::chrono::system_clock::now());
}

}  // namespace plughost::testing
