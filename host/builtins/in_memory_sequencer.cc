#include "host/builtins/in_memory_sequencer.h"

#include <limits>
#include <utility>

namespace plughost {

void InMemorySequencer::Init(const InitSpec& /*spec*/, StatusCallback done) {
  // Ids are never reset: a re-Init must not hand out an id a second time.
  done(grpc::Status::OK);
}

void InMemorySequencer::GetNextId(sequencerpb::GetNextIdRequest request,
                                  const CallOptions& /*options*/,
                                  Callback<sequencerpb::GetNextIdResponse> done) {
  if (request.key().empty()) {
    done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "key must not be empty"), {});
    return;
  }
  sequencerpb::GetNextIdResponse response;
  bool exhausted = false;
  {
    std::lock_guard lock(mutex_);
    int64_t& last = last_ids_[request.key()];
    // Wrapping around would break "strictly increasing"; refuse instead.
    exhausted = last == std::numeric_limits<int64_t>::max();
    if (!exhausted) response.set_next_id(++last);
  }
  if (exhausted) {
    done(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "ids for key \"" + request.key() + "\" are exhausted"),
         {});
    return;
  }
  done(grpc::Status::OK, std::move(response));
}

}  // namespace plughost
