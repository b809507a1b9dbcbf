// Sequencer over a component socket: plughost.components.v1.Sequencer.
#pragma once

#include "host/components/sequencer.h"
#include "plughost/components/v1/sequencer.grpc.pb.h"
#include "wrappers/common/grpc_component_base.h"

namespace plughost {

class GrpcSequencer : public GrpcFeaturedComponentBase<Sequencer, sequencerpb::Sequencer> {
 public:
  using GrpcFeaturedComponentBase::GrpcFeaturedComponentBase;  // (socket_path, instance_name)

  // Sequencer
  void GetNextId(sequencerpb::GetNextIdRequest request, const CallOptions& options,
                 Callback<sequencerpb::GetNextIdResponse> done) override;
};

}  // namespace plughost
