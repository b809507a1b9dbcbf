// sequencer.in-memory: a process-local sequencer. Ids per key start at 1 and go up by exactly
// one per call, whatever the requested increment (which satisfies both WEAK and STRONG).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/components/sequencer.h"

namespace plughost {

class InMemorySequencer : public Sequencer {
 public:
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }

  void GetNextId(sequencerpb::GetNextIdRequest request, const CallOptions& options,
                 Callback<sequencerpb::GetNextIdResponse> done) override;

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, int64_t> last_ids_;  // the last id handed out, per key
};

}  // namespace plughost
