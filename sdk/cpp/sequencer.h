// What a sequencer author implements (plughost.components.v1.Sequencer): one object per
// component instance. Served by ComponentServer::AddSequencer<Store>() (sequencer_service.h).
#pragma once

#include "plughost/components/v1/sequencer.pb.h"
#include "sdk/cpp/component.h"

namespace plughost::sdk {

namespace sequencerpb = ::plughost::components::v1;

class Sequencer : public Component {
 public:
  // The next id of request.key(): strictly greater than every id given for that key before.
  virtual grpc::Status GetNextId(const sequencerpb::GetNextIdRequest& request,
                                 sequencerpb::GetNextIdResponse* response) = 0;
};

}  // namespace plughost::sdk
