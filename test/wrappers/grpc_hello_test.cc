// GrpcHello against a Layotto Hello server on a Unix socket in this process: Init carries the
// type as Layotto sends it (the socket's name, without plughost's "hello." prefix), the greeting
// and the metadata.
#include "wrappers/hello/grpc_hello.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <future>
#include <mutex>

#include "test/support/process.h"

namespace plughost {
namespace {

namespace hellopb = ::spec::proto::pluggable::v1::hello;

class RecordingHello final : public hellopb::Hello::Service {
 public:
  grpc::Status Init(grpc::ServerContext*, const hellopb::HelloConfig* config,
                    google::protobuf::Empty*) override {
    std::lock_guard lock(mutex_);
    received_ = *config;
    return grpc::Status::OK;
  }
  hellopb::HelloConfig received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  std::mutex mutex_;
  hellopb::HelloConfig received_;
};

hellopb::HelloConfig InitWithType(const std::string& type) {
  testing::TempDir dir;
  auto socket = dir.File("hello-grpc-demo.sock");
  RecordingHello service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  REQUIRE(server);

  GrpcHello hello(socket, "helloworld");
  InitSpec spec;
  spec.instance_name = "helloworld";
  spec.type = type;
  spec.metadata = {{"hello", "greetings"}, {"token", "123456"}};
  std::promise<grpc::Status> done;
  hello.Init(spec, [&done](grpc::Status status) { done.set_value(std::move(status)); });
  REQUIRE(done.get_future().get().ok());
  server->Shutdown();
  return service.received();
}

TEST_CASE("a Layotto hello component gets the type its user declared", "[wrappers][hello]") {
  auto config = InitWithType("hello.hello-grpc-demo");
  CHECK(config.type() == "hello-grpc-demo");
  CHECK(config.hello_string() == "greetings");
  CHECK(config.metadata().at("token") == "123456");
}

TEST_CASE("a type without plughost's prefix reaches the component unchanged", "[wrappers][hello]") {
  CHECK(InitWithType("hello-grpc-demo").type() == "hello-grpc-demo");
}

}  // namespace
}  // namespace plughost
