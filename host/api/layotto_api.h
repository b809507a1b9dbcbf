// spec.proto.runtime.v1.Runtime, Layotto's app-facing API, served beside Dapr's on the same
// port and backed by the same component instances.
#pragma once

#include "host/api/api_context.h"
#include "spec/proto/runtime/v1/runtime.grpc.pb.h"

namespace plughost {

namespace layottopb = ::spec::proto::runtime::v1;

class LayottoApi final : public layottopb::Runtime::CallbackService {
 public:
  explicit LayottoApi(ApiContext* context) : context_(context) {}

  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* call,
                                     const layottopb::SayHelloRequest* request,
                                     layottopb::SayHelloResponse* response) override;

 private:
  ApiContext* context_;
};

}  // namespace plughost
