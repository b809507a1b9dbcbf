#include "wrappers/sequencer/grpc_sequencer.h"

#include "wrappers/common/control_calls.h"
#include "wrappers/common/unary_call.h"

namespace plughost {

namespace componentpb = ::dapr::proto::components::v1;

GrpcSequencer::GrpcSequencer(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(sequencerpb::Sequencer::NewStub(channel_.channel())) {}

void GrpcSequencer::Init(const InitSpec& spec, StatusCallback done) {
  InitThenFeatures<sequencerpb::SequencerInitRequest, sequencerpb::SequencerInitResponse>(
      channel_, stub_.get(), spec, &features_, std::move(done));
}

std::vector<std::string> GrpcSequencer::Features() const { return features_.Get(); }

void GrpcSequencer::Ping(StatusCallback done) { PingWithin(kDefaultPingTimeout, std::move(done)); }

void GrpcSequencer::PingWithin(std::chrono::milliseconds timeout, StatusCallback done) {
  PingComponent(channel_, stub_.get(), timeout, std::move(done));
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
