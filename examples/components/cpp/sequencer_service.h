// plughost.components.v1.Sequencer: per-instance, per-key counters on gRPC's callback API. Ids
// start at 1 and go up by exactly one per call (which is both WEAK and STRONG).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "plughost/components/v1/sequencer.grpc.pb.h"
#include "sdk/cpp/instance_map.h"

namespace plughost::sample {

namespace sequencerpb = ::plughost::components::v1;
namespace componentpb = ::dapr::proto::components::v1;

// The counters of one instance.
class Counters {
 public:
  // The next id for `key`, or nullopt once the key's ids are used up.
  std::optional<int64_t> Next(const std::string& key);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, int64_t> last_;
};

class SequencerService final : public sequencerpb::Sequencer::CallbackService {
 public:
  SequencerService() : instances_(std::make_shared<sdk::InstanceMap<Counters>>()) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const sequencerpb::SequencerInitRequest* request,
                                 sequencerpb::SequencerInitResponse* response) override;
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const componentpb::FeaturesRequest* request,
                                     componentpb::FeaturesResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const componentpb::PingRequest* request,
                                 componentpb::PingResponse* response) override;
  grpc::ServerUnaryReactor* GetNextId(grpc::CallbackServerContext* context,
                                      const sequencerpb::GetNextIdRequest* request,
                                      sequencerpb::GetNextIdResponse* response) override;

 private:
  std::shared_ptr<sdk::InstanceMap<Counters>> instances_;
};

}  // namespace plughost::sample
