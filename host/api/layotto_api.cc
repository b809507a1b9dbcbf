#include "host/api/layotto_api.h"

#include "host/api/api_errors.h"
#include "host/components/hello.h"

namespace plughost {
namespace {

grpc::Status NoHelloInstance(std::string_view) {
  return grpc::Status(grpc::StatusCode::UNKNOWN, "no instance found");
}
constexpr LookupWording kNoHelloInstance{&NoHelloInstance, &NoHelloInstance};

}  // namespace

grpc::ServerUnaryReactor* LayottoApi::SayHello(grpc::CallbackServerContext* call,
                                               const layottopb::SayHelloRequest* request,
                                               layottopb::SayHelloResponse* response) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Runtime/SayHello", request->service_name());
  // Layotto answers an unknown hello service (or none at all) with its untyped ErrNoInstance,
  // which gRPC sends as UNKNOWN "no instance found".
  auto instance = ResolveOrFinish(*context_, call, reactor, ComponentKind::kHello,
                                  request->service_name(), &kNoHelloInstance);
  if (!instance) return reactor;
  CallOptions options;
  options.app_call = call;
  options.default_timeout = context_->component_timeout;
  instance->As<HelloService>()->SayHello(
      request->name(), options,
      [reactor, request, response, instance](const grpc::Status& status, std::string greeting) {
        if (!status.ok()) {
          reactor->Finish(grpc::Status(status.error_code(), "hello service " + instance->name +
                                                                ": " + status.error_message()));
          return;
        }
        response->set_hello(std::move(greeting));
        // Layotto echoes the request's data back (used for load tests).
        if (request->has_data()) *response->mutable_data() = request->data();
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Runtime/SayHello");
}

}  // namespace plughost
