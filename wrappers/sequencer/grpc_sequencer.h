// Sequencer over a component socket: plughost.components.v1.Sequencer.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/components/sequencer.h"
#include "plughost/components/v1/sequencer.grpc.pb.h"
#include "wrappers/common/component_channel.h"
#include "wrappers/common/control_calls.h"

namespace plughost {

class GrpcSequencer : public Sequencer {
 public:
  GrpcSequencer(std::string socket_path, std::string instance_name);

  // Component
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override;
  void Ping(StatusCallback done) override;
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override;

  // Sequencer
  void GetNextId(sequencerpb::GetNextIdRequest request, const CallOptions& options,
                 Callback<sequencerpb::GetNextIdResponse> done) override;

 private:
  ComponentChannel channel_;
  std::unique_ptr<sequencerpb::Sequencer::Stub> stub_;

  FeatureList features_;
};

}  // namespace plughost
