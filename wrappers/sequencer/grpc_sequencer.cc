#include "wrappers/sequencer/grpc_sequencer.h"

#include "wrappers/common/unary_call.h"

namespace plughost {

namespace componentpb = ::dapr::proto::components::v1;

GrpcSequencer::GrpcSequencer(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(sequencerpb::Sequencer::NewStub(channel_.channel())) {}

void GrpcSequencer::Init(const InitSpec& spec, StatusCallback done) {
  sequencerpb::SequencerInitRequest request;
  request.mutable_metadata()->mutable_properties()->insert(spec.metadata.begin(),
                                                          spec.metadata.end());
  auto timeout = spec.timeout;
  auto* stub = stub_.get();
  StartUnaryCall<sequencerpb::SequencerInitRequest, sequencerpb::SequencerInitResponse>(
      channel_.NewControlContext(timeout, /*wait_for_ready=*/true), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Init(ctx, req, resp, cb); },
      [this, timeout, stub, done = std::move(done)](grpc::Status status,
                                                   sequencerpb::SequencerInitResponse) mutable {
        if (!status.ok()) {
          done(std::move(status));
          return;
        }
        // Features right after Init, as for every other kind.
        StartUnaryCall<componentpb::FeaturesRequest, componentpb::FeaturesResponse>(
            channel_.NewControlContext(timeout), componentpb::FeaturesRequest{},
            [stub](auto* ctx, auto* req, auto* resp, auto cb) {
              stub->async()->Features(ctx, req, resp, cb);
            },
            [this, done = std::move(done)](grpc::Status status,
                                           componentpb::FeaturesResponse features) mutable {
              if (status.ok()) {
                std::lock_guard lock(mutex_);
                features_.assign(features.features().begin(), features.features().end());
              }
              done(std::move(status));
            });
      });
}

std::vector<std::string> GrpcSequencer::Features() const {
  std::lock_guard lock(mutex_);
  return features_;
}

void GrpcSequencer::Ping(StatusCallback done) {
  auto* stub = stub_.get();
  StartUnaryCall<componentpb::PingRequest, componentpb::PingResponse>(
      channel_.NewControlContext(std::chrono::seconds(2)), componentpb::PingRequest{},
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Ping(ctx, req, resp, cb); },
      [done = std::move(done)](grpc::Status status, componentpb::PingResponse) mutable {
        done(std::move(status));
      });
}

void GrpcSequencer::GetNextId(sequencerpb::GetNextIdRequest request, const CallOptions& options,
                              Callback<sequencerpb::GetNextIdResponse> done) {
  auto* stub = stub_.get();
  StartUnaryCall<sequencerpb::GetNextIdRequest, sequencerpb::GetNextIdResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->GetNextId(ctx, req, resp, cb);
      },
      std::move(done));
}

}  // namespace plughost
