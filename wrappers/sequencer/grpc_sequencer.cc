#include "wrappers/sequencer/grpc_sequencer.h"

namespace plughost {

void GrpcSequencer::GetNextId(sequencerpb::GetNextIdRequest request, const CallOptions& options,
                              Callback<sequencerpb::GetNextIdResponse> done) {
  Call(&Async::GetNextId, std::move(request), options, std::move(done));
}

}  // namespace plughost
