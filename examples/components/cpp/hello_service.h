// spec.proto.pluggable.v1.hello.Hello (Layotto's pluggable hello) with one greeting per
// instance, on gRPC's callback API.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "sdk/cpp/instance_map.h"
#include "spec/proto/pluggable/v1/hello.grpc.pb.h"

namespace plughost::sample {

namespace hellopb = ::spec::proto::pluggable::v1::hello;

// What one hello instance was initialised with.
class HelloInstance {
 public:
  static constexpr char kDefaultGreeting[] = "hello";

  void Init(const std::string& hello_string);
  // The greeting alone for an empty name, else "<greeting> <name>".
  std::string Greet(const std::string& name);

 private:
  std::mutex mutex_;
  std::string greeting_ = kDefaultGreeting;
};

class HelloService final : public hellopb::Hello::CallbackService {
 public:
  HelloService() : instances_(std::make_shared<sdk::InstanceMap<HelloInstance>>()) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const hellopb::HelloConfig* request,
                                 google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* context,
                                     const hellopb::HelloRequest* request,
                                     hellopb::HelloResponse* response) override;

 private:
  std::shared_ptr<sdk::InstanceMap<HelloInstance>> instances_;
};

}  // namespace plughost::sample
