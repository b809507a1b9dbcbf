// HelloService over a component socket: Layotto's spec.proto.pluggable.v1.hello.Hello.
#pragma once

#include <string>
#include <vector>

#include "host/components/hello.h"
#include "spec/proto/pluggable/v1/hello.grpc.pb.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

// Layotto's Hello protocol has no Ping: the base answers from the channel's connectivity.
class GrpcHello : public GrpcComponentBase<HelloService, spec::proto::pluggable::v1::hello::Hello> {
 public:
  using GrpcComponentBase::GrpcComponentBase;  // (socket_path, instance_name)

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {}; }

  // HelloService
  void SayHello(std::string name, const CallOptions& options, Callback<std::string> done) override;
};

}  // namespace plughost
