#include "wrappers/hello/grpc_hello.h"

#include <google/protobuf/empty.pb.h>

#include <string_view>

#include "wrappers/common/unary_call.h"

namespace plughost {

namespace hellopb = ::spec::proto::pluggable::v1::hello;

constexpr std::string_view kTypePrefix = "hello.";

void GrpcHello::Init(const InitSpec& spec, StatusCallback done) {
  hellopb::HelloConfig config;
  // Layotto sends the type its user declared, which is the socket's name ("hello-grpc-demo"),
  // not plughost's "hello.hello-grpc-demo".
  std::string_view type = spec.type;
  if (type.starts_with(kTypePrefix)) type.remove_prefix(kTypePrefix.size());
  config.set_type(std::string(type));
  // Layotto carries the greeting in its own config field; here it comes from metadata "hello".
  if (auto it = spec.metadata.find("hello"); it != spec.metadata.end()) {
    config.set_hello_string(it->second);
  }
  config.mutable_metadata()->insert(spec.metadata.begin(), spec.metadata.end());
  StartUnaryCall(channel_.NewControlContext(spec.timeout, /*wait_for_ready=*/true), stub_.get(),
                 &Async::Init, std::move(config),
                 StatusOnly<google::protobuf::Empty>(std::move(done)));
}

void GrpcHello::SayHello(std::string name, const CallOptions& options, Callback<std::string> done) {
  hellopb::HelloRequest request;
  request.set_name(std::move(name));
  Call(&Async::SayHello, std::move(request), options,
       [done = std::move(done)](grpc::Status status, hellopb::HelloResponse response) mutable {
         done(std::move(status), std::move(*response.mutable_hello_string()));
       });
}

}  // namespace plughost
