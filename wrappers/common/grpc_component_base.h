// The base every adapter in wrappers/ derives from, so that a kind's wrapper holds only what is
// its own: its data calls and how their messages map. The base owns the instance's channel and
// the stub of the kind's generated service, answers Ping, and starts unary calls by naming the
// stub's method. GrpcFeaturedComponentBase adds Init then Features, which every kind whose
// service has a Features RPC does the same way; the others (bindings, Layotto's Hello) write
// their own Init and Features.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "dapr/proto/components/v1/common.pb.h"
#include "host/common/callback.h"
#include "host/components/component.h"
#include "wrappers/common/component_channel.h"
#include "wrappers/common/control_calls.h"
#include "wrappers/common/unary_call.h"

namespace plughost {

// Whether a generated service's callback API has Dapr's Ping RPC.
template <typename Async>
concept HasPingRpc = requires(Async* async, grpc::ClientContext* context,
                              const ::dapr::proto::components::v1::PingRequest* request,
                              ::dapr::proto::components::v1::PingResponse* response,
                              std::function<void(grpc::Status)> done) {
  async->Ping(context, request, response, std::move(done));
};

// `Interface` is the native interface the adapter implements (e.g. LockStore), `Service` the
// generated gRPC service it calls (e.g. plughost::components::v1::Lock).
template <typename Interface, typename Service>
class GrpcComponentBase : public Interface {
 public:
  using Stub = typename Service::Stub;
  // The stub's callback API; a kind names its methods as `&Async::Get`.
  using Async = typename Service::StubInterface::async_interface;

  // Public so that a kind inherits it (`using GrpcComponentBase::GrpcComponentBase;`).
  GrpcComponentBase(std::string socket_path, std::string instance_name)
      : channel_(std::move(socket_path), std::move(instance_name)),
        stub_(Service::NewStub(channel_.channel())) {}

  // Component
  void Ping(StatusCallback done) override { PingWithin(kDefaultPingTimeout, std::move(done)); }
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override {
    if constexpr (HasPingRpc<Async>) {
      PingComponent(channel_, stub_.get(), timeout, std::move(done));
    } else {
      // A protocol without Ping (Layotto's Hello): the channel's connectivity stands in for it.
      auto state = channel_.channel()->GetState(/*try_to_connect=*/true);
      if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
        done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "component is not reachable"));
      } else {
        done(grpc::Status::OK);
      }
    }
  }

 protected:
  // One unary data call on the kind's stub, under the app call's deadline and cancellation:
  //   Call(&Async::TryLock, std::move(request), options, std::move(done));
  template <typename Request, typename Response>
  void Call(AsyncUnaryMethod<Async, Request, Response> method,
            std::type_identity_t<Request> request, const CallOptions& options,
            std::type_identity_t<Callback<Response>> done) const {
    StartUnaryCall(channel_.NewCallContext(options), stub_.get(), method, std::move(request),
                   std::move(done));
  }

  ComponentChannel channel_;
  // Shared with what may outlive a call into the adapter by a few callbacks (open streams).
  std::shared_ptr<Stub> stub_;
};

// A kind whose service has Init and Features: Init, then Features, as Dapr does after every
// start; Features() answers from the last successful Init.
template <typename Interface, typename Service>
class GrpcFeaturedComponentBase : public GrpcComponentBase<Interface, Service> {
 public:
  using GrpcComponentBase<Interface, Service>::GrpcComponentBase;

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override {
    InitThenFeatures(this->channel_, this->stub_.get(), spec, &features_, std::move(done));
  }
  std::vector<std::string> Features() const override { return features_.Get(); }

 private:
  FeatureList features_;
};

}  // namespace plughost
