#include "examples/components/cpp/hello_service.h"

#include "sdk/cpp/unary_reaction.h"

namespace plughost::sample {

void HelloInstance::Init(const std::string& hello_string) {
  std::lock_guard lock(mutex_);
  // An operator who configures no greeting still gets a working hello, as Layotto's built-in one.
  greeting_ = hello_string.empty() ? kDefaultGreeting : hello_string;
}

std::string HelloInstance::Greet(const std::string& name) {
  std::lock_guard lock(mutex_);
  return name.empty() ? greeting_ : greeting_ + " " + name;
}

grpc::ServerUnaryReactor* HelloService::Init(grpc::CallbackServerContext* context,
                                             const hellopb::HelloConfig* request,
                                             google::protobuf::Empty* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    instances_->For(*context)->Init(request->hello_string());
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* HelloService::SayHello(grpc::CallbackServerContext* context,
                                                 const hellopb::HelloRequest* request,
                                                 hellopb::HelloResponse* response) {
  return sdk::ReactUnary(context, [&] {
    response->set_hello_string(instances_->For(*context)->Greet(request->name()));
    return grpc::Status::OK;
  });
}

}  // namespace plughost::sample
