// The control calls every adapter makes the same way, whatever its kind: Init with the
// instance's metadata (waiting, within its timeout, for a component that is restarting), then
// the one query whose answer the adapter keeps (Features for most kinds, ListOperations for
// output bindings), and Ping. Each kind's generated stub has these methods under the same
// names, so one template serves them all.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dapr/proto/components/v1/common.pb.h"
#include "host/common/callback.h"
#include "host/components/component.h"
#include "wrappers/common/component_channel.h"
#include "wrappers/common/unary_call.h"

namespace plughost {

// The features a component advertised at its last Init; read on every call, written on (re)Init.
class FeatureList {
 public:
  std::vector<std::string> Get() const {
    std::lock_guard lock(mutex_);
    return features_;
  }
  void Set(std::vector<std::string> features) {
    std::lock_guard lock(mutex_);
    features_ = std::move(features);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> features_;
};

// InitThen's body, with the kind's Init request and response types read off its Init method.
template <typename Stub, typename Async, typename InitRequest, typename InitResponse, typename Then>
void StartInit(const ComponentChannel& channel, Stub* stub,
               AsyncUnaryMethod<Async, InitRequest, InitResponse> init, const InitSpec& spec,
               Then then, StatusCallback done) {
  InitRequest request;
  request.mutable_metadata()->mutable_properties()->insert(spec.metadata.begin(),
                                                           spec.metadata.end());
  StartUnaryCall(
      channel.NewControlContext(spec.timeout, /*wait_for_ready=*/true), stub, init,
      std::move(request),
      [then = std::move(then), done = std::move(done)](grpc::Status status, InitResponse) mutable {
        if (!status.ok()) {
          done(std::move(status));
          return;
        }
        then(std::move(done));
      });
}

// Init, then `then(done)` only if Init succeeded. `then` is the follow-up query, e.g. Features.
template <typename Stub, typename Then>
void InitThen(const ComponentChannel& channel, Stub* stub, const InitSpec& spec, Then then,
              StatusCallback done) {
  StartInit(channel, stub, &Stub::async_interface::Init, spec, std::move(then), std::move(done));
}

// Init, then Features (as Dapr does after every start); the features land in `features`.
// `channel`, `stub` and `features` belong to the adapter, which outlives its calls.
template <typename Stub>
void InitThenFeatures(const ComponentChannel& channel, Stub* stub, const InitSpec& spec,
                      FeatureList* features, StatusCallback done) {
  namespace componentpb = ::dapr::proto::components::v1;
  auto ask_features = [&channel, stub, features, timeout = spec.timeout](StatusCallback done) {
    StartUnaryCall(channel.NewControlContext(timeout), stub, &Stub::async_interface::Features,
                   componentpb::FeaturesRequest{},
                   [features, done = std::move(done)](
                       grpc::Status status, componentpb::FeaturesResponse answer) mutable {
                     if (status.ok()) {
                       features->Set({answer.features().begin(), answer.features().end()});
                     }
                     done(std::move(status));
                   });
  };
  InitThen(channel, stub, spec, std::move(ask_features), std::move(done));
}

// Init alone, for kinds with nothing to ask afterwards.
template <typename Stub>
void InitOnly(const ComponentChannel& channel, Stub* stub, const InitSpec& spec,
              StatusCallback done) {
  InitThen(
      channel, stub, spec, [](StatusCallback done) { done(grpc::Status::OK); }, std::move(done));
}

// The health check: a short deadline and no waiting for a connection, so a dead component is
// reported at once.
template <typename Stub>
void PingComponent(const ComponentChannel& channel, Stub* stub, std::chrono::milliseconds timeout,
                   StatusCallback done) {
  namespace componentpb = ::dapr::proto::components::v1;
  StartUnaryCall(channel.NewControlContext(timeout), stub, &Stub::async_interface::Ping,
                 componentpb::PingRequest{},
                 StatusOnly<componentpb::PingResponse>(std::move(done)));
}

}  // namespace plughost
