#include "test/conformance/broken_state_store.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <chrono>
#include <map>
#include <mutex>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "sdk/cpp/unix_socket_server.h"

namespace plughost::testing {
namespace {

namespace statepb = ::dapr::proto::components::v1;

struct Entry {
  std::string value;
  std::string etag;
};

// Holds a call until the client gives up (its deadline or cancellation), then ends it.
class NeverAnswers : public grpc::ServerUnaryReactor {
 public:
  void OnCancel() override { Finish(grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }
};

class BrokenStateStore final : public statepb::StateStore::CallbackService {
 public:
  explicit BrokenStateStore(BrokenStateStoreServer::Flavor flavor) : flavor_(flavor) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context, const statepb::InitRequest*,
                                 statepb::InitResponse*) override {
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const statepb::FeaturesRequest*,
                                     statepb::FeaturesResponse* response) override {
    response->add_features("ETAG");
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context, const statepb::PingRequest*,
                                 statepb::PingResponse*) override {
    if (bare()) return Done(context, grpc::Status::OK);
    return new NeverAnswers();
  }
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const statepb::GetRequest* request,
                                statepb::GetResponse* response) override {
    std::lock_guard lock(mutex_);
    auto& data = data_[Instance(context)];
    if (auto it = data.find(request->key()); it != data.end()) {
      response->set_data(it->second.value);
      response->mutable_etag()->set_value(it->second.etag);
    }
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* Set(grpc::CallbackServerContext* context,
                                const statepb::SetRequest* request,
                                statepb::SetResponse*) override {
    std::lock_guard lock(mutex_);
    return Done(context, SetLocked(Instance(context), *request));
  }
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                   const statepb::DeleteRequest* request,
                                   statepb::DeleteResponse*) override {
    std::lock_guard lock(mutex_);
    auto& data = data_[Instance(context)];
    if (bare() && request->has_etag() && !request->etag().value().empty()) {
      auto it = data.find(request->key());
      if (it == data.end() || it->second.etag != request->etag().value()) {
        return Done(context, grpc::Status(grpc::StatusCode::ABORTED, "etag mismatch"));
      }
    }
    data.erase(request->key());  // the plain flavor: whatever the ETag says
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* BulkGet(grpc::CallbackServerContext* context,
                                    const statepb::BulkGetRequest* request,
                                    statepb::BulkGetResponse* response) override {
    std::lock_guard lock(mutex_);
    auto& data = data_[Instance(context)];
    for (const auto& get : request->items()) {
      auto* item = response->add_items();
      item->set_key(get.key());
      if (auto it = data.find(get.key()); it != data.end()) {
        item->set_data(it->second.value);
        item->mutable_etag()->set_value(it->second.etag);
      }
    }
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* BulkSet(grpc::CallbackServerContext* context,
                                    const statepb::BulkSetRequest* request,
                                    statepb::BulkSetResponse*) override {
    std::lock_guard lock(mutex_);
    for (const auto& set : request->items()) {
      if (auto status = SetLocked(Instance(context), set); !status.ok()) {
        return Done(context, status);
      }
    }
    return Done(context, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* BulkDelete(grpc::CallbackServerContext* context,
                                       const statepb::BulkDeleteRequest* request,
                                       statepb::BulkDeleteResponse*) override {
    std::lock_guard lock(mutex_);
    for (const auto& item : request->items()) data_[Instance(context)].erase(item.key());
    return Done(context, grpc::Status::OK);
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context,
                                        const grpc::Status& status) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  static std::string Instance(grpc::CallbackServerContext* context) {
    auto it = context->client_metadata().find("x-component-instance");
    if (it == context->client_metadata().end()) return "#default";
    return std::string(it->second.data(), it->second.size());
  }

  bool bare() const { return flavor_ == BrokenStateStoreServer::Flavor::kBareCodes; }

  grpc::Status SetLocked(const std::string& instance, const statepb::SetRequest& request) {
    if (bare()) return BareSetLocked(instance, request);
    auto& entry = data_[instance][request.key()];
    // The bug under test: a plain error, where Dapr's convention wants FAILED_PRECONDITION
    // with a BadRequest detail on "etag".
    if (request.has_etag() && !request.etag().value().empty() &&
        request.etag().value() != entry.etag) {
      if (entry.etag.empty()) data_[instance].erase(request.key());
      return grpc::Status(grpc::StatusCode::UNKNOWN, "etag mismatch");
    }
    entry.value = request.value();
    entry.etag = std::to_string(++version_);
    return grpc::Status::OK;
  }

  // Right checks, bare codes.
  grpc::Status BareSetLocked(const std::string& instance, const statepb::SetRequest& request) {
    auto& data = data_[instance];
    auto existing = data.find(request.key());
    const std::string& etag = request.etag().value();
    if (request.has_etag() && !etag.empty()) {
      if (etag.find_first_not_of("0123456789") != std::string::npos) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed etag");
      }
      if (existing == data.end() || existing->second.etag != etag) {
        return grpc::Status(grpc::StatusCode::ABORTED, "etag mismatch");
      }
    } else if (request.options().concurrency() == statepb::StateOptions::CONCURRENCY_FIRST_WRITE &&
               existing != data.end()) {
      return grpc::Status(grpc::StatusCode::ABORTED, "first-write: the key exists");
    }
    auto& entry = data[request.key()];
    entry.value = request.value();
    entry.etag = std::to_string(++version_);
    return grpc::Status::OK;
  }

  const BrokenStateStoreServer::Flavor flavor_;
  std::mutex mutex_;
  std::map<std::string, std::map<std::string, Entry>> data_;  // by instance, then key
  long version_ = 0;
};

}  // namespace

BrokenStateStoreServer::BrokenStateStoreServer(const std::string& socket_path, Flavor flavor)
    : service_(std::make_unique<BrokenStateStore>(flavor)) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.RegisterService(service_.get());
  auto started = sdk::StartOnUnixSocket(builder, socket_path);
  if (started.ok()) server_ = std::move(*started);
}

BrokenStateStoreServer::~BrokenStateStoreServer() {
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace plughost::testing
