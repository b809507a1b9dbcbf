#include "wrappers/hello/grpc_hello.h"

#include <google/protobuf/empty.pb.h>

#include <string_view>

#include "wrappers/common/unary_call.h"

namespace plughost {

namespace hellopb = ::spec::proto::pluggable::v1::hello;

constexpr std::string_view kTypePrefix = "hello.";

GrpcHello::GrpcHello(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(hellopb::Hello::NewStub(channel_.channel())) {}

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
  auto* stub = stub_.get();
  StartUnaryCall<hellopb::HelloConfig, google::protobuf::Empty>(
      channel_.NewControlContext(spec.timeout, /*wait_for_ready=*/true), std::move(config),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Init(ctx, req, resp, cb);
      },
      [done = std::move(done)](grpc::Status status, const google::protobuf::Empty&) mutable {
        done(std::move(status));
      });
}

void GrpcHello::Ping(StatusCallback done) {
  auto state = channel_.channel()->GetState(/*try_to_connect=*/true);
  if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
    done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "hello component is not reachable"));
  } else {
    done(grpc::Status::OK);
  }
}

void GrpcHello::SayHello(std::string name, const CallOptions& options, Callback<std::string> done) {
  hellopb::HelloRequest request;
  request.set_name(std::move(name));
  auto* stub = stub_.get();
  StartUnaryCall<hellopb::HelloRequest, hellopb::HelloResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->SayHello(ctx, req, resp, cb);
      },
      [done = std::move(done)](grpc::Status status, hellopb::HelloResponse response) mutable {
        done(std::move(status), std::move(*response.mutable_hello_string()));
      });
}

}  // namespace plughost
