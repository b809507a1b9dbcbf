// Native interface of a sequencer (plughost.components.v1.Sequencer types): ids strictly
// increasing per key.
#pragma once

#include "host/components/component.h"
#include "plughost/components/v1/sequencer.pb.h"

namespace plughost {

namespace sequencerpb = ::plughost::components::v1;

class Sequencer : public Component {
 public:
  virtual void GetNextId(sequencerpb::GetNextIdRequest request, const CallOptions& options,
                         Callback<sequencerpb::GetNextIdResponse> done) = 0;
};

}  // namespace plughost
