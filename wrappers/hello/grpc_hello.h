// HelloService over a component socket: Layotto's spec.proto.pluggable.v1.hello.Hello.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "host/components/hello.h"
#include "spec/proto/pluggable/v1/hello.grpc.pb.h"
#include "wrappers/common/component_channel.h"

namespace plughost {

class GrpcHello : public HelloService {
 public:
  GrpcHello(std::string socket_path, std::string instance_name);

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {}; }
  // Layotto's Hello protocol has no Ping; the channel's connectivity stands in for it.
  void Ping(StatusCallback done) override;

  // HelloService
  void SayHello(std::string name, const CallOptions& options, Callback<std::string> done) override;

 private:
  ComponentChannel channel_;
  std::unique_ptr<spec::proto::pluggable::v1::hello::Hello::Stub> stub_;
};

}  // namespace plughost
