// The part of every kind's gRPC service that is the same: the instance map, and Init and Ping
// (plus Features for the kinds whose protocol has it), each answered by the instance the call's
// x-component-instance header names. A kind's service derives from one of these and adds only
// its own RPCs.
#pragma once

#include <memory>
#include <utility>

#include "dapr/proto/components/v1/common.pb.h"
#include "sdk/cpp/instance_map.h"
#include "sdk/cpp/serve_unary.h"

namespace plughost::sdk {

template <typename GrpcService, typename Kind, typename InitRequest, typename InitResponse>
class KindService : public GrpcService {
 public:
  explicit KindService(std::shared_ptr<InstanceMap<Kind>> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context, const InitRequest* request,
                                 InitResponse* response) override {
    return ServeInit(context, instances_->For(*context), request, response);
  }
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const ::dapr::proto::components::v1::PingRequest* request,
                                 ::dapr::proto::components::v1::PingResponse* response) override {
    return ServePing(context, instances_->For(*context), request, response);
  }

 protected:
  std::shared_ptr<InstanceMap<Kind>> instances_;
};

// For the kinds whose protocol also has Features.
template <typename GrpcService, typename Kind, typename InitRequest, typename InitResponse>
class FeaturedKindService : public KindService<GrpcService, Kind, InitRequest, InitResponse> {
 public:
  using KindService<GrpcService, Kind, InitRequest, InitResponse>::KindService;

  grpc::ServerUnaryReactor* Features(
      grpc::CallbackServerContext* context,
      const ::dapr::proto::components::v1::FeaturesRequest* /*request*/,
      ::dapr::proto::components::v1::FeaturesResponse* response) override {
    return ServeFeatures(context, this->instances_->For(*context), response);
  }
};

}  // namespace plughost::sdk
