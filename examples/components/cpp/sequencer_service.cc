#include "examples/components/cpp/sequencer_service.h"

#include <limits>

#include "sdk/cpp/unary_reaction.h"

namespace plughost::sample {

std::optional<int64_t> Counters::Next(const std::string& key) {
  std::lock_guard lock(mutex_);
  int64_t& last = last_[key];
  if (last == std::numeric_limits<int64_t>::max()) return std::nullopt;  // never wrap around
  return ++last;
}

grpc::ServerUnaryReactor* SequencerService::Init(
    grpc::CallbackServerContext* context, const sequencerpb::SequencerInitRequest* /*request*/,
    sequencerpb::SequencerInitResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    // Creates the instance; counters survive a re-Init, so no id is ever handed out twice.
    instances_->For(*context);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* SequencerService::Features(
    grpc::CallbackServerContext* context, const componentpb::FeaturesRequest* /*request*/,
    componentpb::FeaturesResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* SequencerService::Ping(grpc::CallbackServerContext* context,
                                                 const componentpb::PingRequest* /*request*/,
                                                 componentpb::PingResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* SequencerService::GetNextId(grpc::CallbackServerContext* context,
                                                      const sequencerpb::GetNextIdRequest* request,
                                                      sequencerpb::GetNextIdResponse* response) {
  return sdk::ReactUnary(context, [&] {
    if (request->key().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "key must not be empty");
    }
    auto next = instances_->For(*context)->Next(request->key());
    if (!next) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "ids for key \"" + request->key() + "\" are exhausted");
    }
    response->set_next_id(*next);
    return grpc::Status::OK;
  });
}

}  // namespace plughost::sample
