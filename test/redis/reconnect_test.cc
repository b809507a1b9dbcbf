// plughost-redis while Redis is away, called directly over its socket: calls and Ping answer
// UNAVAILABLE (without waiting for Redis), and everything works again once Redis is back, with
// no new Init.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "test/redis/redis_server.h"

namespace plughost::testing {
namespace {

using namespace std::chrono_literals;
namespace statepb = ::dapr::proto::components::v1;

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + 10s);
  return context;
}

}  // namespace

TEST_CASE("calls fail fast with UNAVAILABLE while Redis is down, and recover", "[redis]") {
  TempDir dir;
  RedisServer redis(dir);
  REQUIRE(redis.started());
  auto component = ChildProcess::Spawn(
      {RequiredEnv("REDIS_COMPONENT_BIN"), "--sockets-dir", dir.path(), "--kinds", "state"},
      dir.File("redis.log"));
  REQUIRE(WaitForSocket(dir.File("redis-state.sock"), 10s));
  auto store = statepb::StateStore::NewStub(grpc::CreateChannel(
      "unix:" + dir.File("redis-state.sock"), grpc::InsecureChannelCredentials()));

  statepb::InitRequest init;
  (*init.mutable_metadata()->mutable_properties())["redisHost"] = redis.address();
  statepb::InitResponse initialised;
  REQUIRE(store->Init(Context().get(), init, &initialised).ok());
  statepb::SetRequest set;
  set.set_key("k");
  set.set_value("v");
  statepb::SetResponse set_response;
  REQUIRE(store->Set(Context().get(), set, &set_response).ok());

  redis.Kill();
  statepb::GetRequest get;
  get.set_key("k");
  for (int i = 0; i < 20; ++i) {
    statepb::GetResponse got;
    auto status = store->Get(Context().get(), get, &got);
    INFO(status.error_message());
    CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  statepb::PingResponse pong;
  CHECK(store->Ping(Context().get(), statepb::PingRequest(), &pong).error_code() ==
        grpc::StatusCode::UNAVAILABLE);

  REQUIRE(redis.Start());  // same port, empty data
  CHECK(Eventually([&] { return store->Ping(Context().get(), statepb::PingRequest(), &pong).ok(); },
                   30s));
  CHECK(store->Set(Context().get(), set, &set_response).ok());
  statepb::GetResponse got;
  REQUIRE(store->Get(Context().get(), get, &got).ok());
  CHECK(got.data() == "v");
  CHECK(got.etag().value() == "1");
}

}  // namespace plughost::testing
