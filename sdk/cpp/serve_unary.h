// How the kind services answer a unary call with a component's synchronous method: inline when
// the component has no worker pool, else on the pool (component.h).
#pragma once

#include <exception>
#include <memory>
#include <utility>

#include <grpcpp/server_context.h>

#include "sdk/cpp/component.h"
#include "sdk/cpp/unary_reaction.h"

namespace plughost::sdk {

// `method(const Request&, Response*)` returns the call's status. On a pool it gets a copy of the
// request: the caller may give up (and gRPC free its request) before a worker runs it.
template <typename Request, typename Response, typename Method>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* context, WorkerPool* workers,
                                     const Request* request, Response* response, Method method) {
  if (workers == nullptr) {
    return ReactUnary(context, [&] { return method(*request, response); });
  }
  return ReactLater(context, response, [&](UnaryReply<Response> reply) {
    workers->Post([copy = *request, reply, method = std::move(method)]() mutable {
      Response out;
      grpc::Status status;
      try {
        status = method(copy, &out);
      } catch (...) {
        status = StatusFromException(std::current_exception());
      }
      reply(status, std::move(out));
    });
  });
}

// Init, Features and Ping, the same for every kind: `Instance` derives from Component.
template <typename InitRequest, typename InitResponse, typename Instance>
grpc::ServerUnaryReactor* ServeInit(grpc::CallbackServerContext* context,
                                    std::shared_ptr<Instance> instance, const InitRequest* request,
                                    InitResponse* response) {
  return ServeUnary(context, instance->workers(), request, response,
                    [instance](const InitRequest& init, InitResponse*) {
                      const auto& properties = init.metadata().properties();
                      return instance->Init(Metadata(properties.begin(), properties.end()));
                    });
}

template <typename FeaturesResponse, typename Instance>
grpc::ServerUnaryReactor* ServeFeatures(grpc::CallbackServerContext* context,
                                        std::shared_ptr<Instance> instance,
                                        FeaturesResponse* response) {
  return ReactUnary(context, [&] {
    for (std::string& feature : instance->Features()) response->add_features(std::move(feature));
    return grpc::Status::OK;
  });
}

template <typename PingRequest, typename PingResponse, typename Instance>
grpc::ServerUnaryReactor* ServePing(grpc::CallbackServerContext* context,
                                    std::shared_ptr<Instance> instance, const PingRequest* request,
                                    PingResponse* response) {
  return ServeUnary(context, instance->workers(), request, response,
                    [instance](const PingRequest&, PingResponse*) { return instance->Ping(); });
}

}  // namespace plughost::sdk
