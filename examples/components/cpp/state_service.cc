#include "examples/components/cpp/state_service.h"

#include <map>
#include <string>
#include <string_view>

#include "examples/components/cpp/unary_reaction.h"

namespace plughost::sample {

grpc::ServerUnaryReactor* StateStoreService::Init(grpc::CallbackServerContext* context,
                                                  const statepb::InitRequest* request,
                                                  statepb::InitResponse* /*response*/) {
  return ReactUnary(context, [&] {
    const auto& properties = request->metadata().properties();
    std::map<std::string, std::string> metadata(properties.begin(), properties.end());
    return instances_->For(*context)->Init(metadata);
  });
}

grpc::ServerUnaryReactor* StateStoreService::Features(grpc::CallbackServerContext* context,
                                                      const statepb::FeaturesRequest* /*request*/,
                                                      statepb::FeaturesResponse* response) {
  return ReactUnary(context, [&] {
    for (const std::string& feature : MemoryState::Features()) response->add_features(feature);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StateStoreService::Ping(grpc::CallbackServerContext* context,
                                                  const statepb::PingRequest* /*request*/,
                                                  statepb::PingResponse* /*response*/) {
  return ReactUnary(context, [] { return grpc::Status::OK; });
}

namespace {

// Test hook: a call that never answers, until its caller gives up (deadline or cancellation);
// lets hosts check that a hung component costs the app its deadline and nothing more.
class HangingReactor : public grpc::ServerUnaryReactor {
 public:
  void OnCancel() override { Finish(grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }
};

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

grpc::ServerUnaryReactor* StateStoreService::Get(grpc::CallbackServerContext* context,
                                                 const statepb::GetRequest* request,
                                                 statepb::GetResponse* response) {
  if (EndsWith(request->key(), kHangKey)) return new HangingReactor();
  return ReactUnary(context, [&] { return instances_->For(*context)->Get(*request, response); });
}

grpc::ServerUnaryReactor* StateStoreService::Set(grpc::CallbackServerContext* context,
                                                 const statepb::SetRequest* request,
                                                 statepb::SetResponse* /*response*/) {
  return ReactUnary(context, [&] { return instances_->For(*context)->Set(*request); });
}

grpc::ServerUnaryReactor* StateStoreService::Delete(grpc::CallbackServerContext* context,
                                                    const statepb::DeleteRequest* request,
                                                    statepb::DeleteResponse* /*response*/) {
  return ReactUnary(context, [&] { return instances_->For(*context)->Delete(*request); });
}

grpc::ServerUnaryReactor* StateStoreService::BulkGet(grpc::CallbackServerContext* context,
                                                     const statepb::BulkGetRequest* request,
                                                     statepb::BulkGetResponse* response) {
  return ReactUnary(context,
                    [&] { return instances_->For(*context)->BulkGet(*request, response); });
}

grpc::ServerUnaryReactor* StateStoreService::BulkSet(grpc::CallbackServerContext* context,
                                                     const statepb::BulkSetRequest* request,
                                                     statepb::BulkSetResponse* /*response*/) {
  return ReactUnary(context, [&] { return instances_->For(*context)->BulkSet(*request); });
}

grpc::ServerUnaryReactor* StateStoreService::BulkDelete(grpc::CallbackServerContext* context,
                                                        const statepb::BulkDeleteRequest* request,
                                                        statepb::BulkDeleteResponse* /*response*/) {
  return ReactUnary(context, [&] { return instances_->For(*context)->BulkDelete(*request); });
}

grpc::ServerUnaryReactor* TransactionalStateService::Transact(
    grpc::CallbackServerContext* context, const statepb::TransactionalStateRequest* request,
    statepb::TransactionalStateResponse* /*response*/) {
  return ReactUnary(context, [&] { return instances_->For(*context)->Transact(*request); });
}

grpc::ServerUnaryReactor* MultiMaxSizeService::MultiMaxSize(
    grpc::CallbackServerContext* context, const statepb::MultiMaxSizeRequest* /*request*/,
    statepb::MultiMaxSizeResponse* response) {
  return ReactUnary(context, [&] {
    response->set_max_size(instances_->For(*context)->MultiMaxSize());
    return grpc::Status::OK;
  });
}

}  // namespace plughost::sample
