#include "sdk/cpp/configuration_service.h"

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <utility>

#include "plughost/components/v1/configuration.grpc.pb.h"
#include "sdk/cpp/kind_service.h"
#include "sdk/cpp/serve_unary.h"
#include "sdk/cpp/stream_outbox.h"

namespace plughost::sdk {
namespace {

using internal::RunFor;

namespace commonpb = ::dapr::proto::components::v1;
using Reactor = grpc::ServerWriteReactor<configpb::SubscribeConfigurationResponse>;
using Outbox = internal::StreamOutbox<Reactor, configpb::SubscribeConfigurationResponse>;

// Unique across the process and its restarts: a host may hold ids from before a restart.
std::string NewSubscriptionId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t process_tag = std::random_device{}();
  return std::to_string(process_tag) + "-" + std::to_string(++counter);
}

class Updates final : public ConfigurationUpdates {
 public:
  Updates(Reactor* reactor, std::string id) : outbox_(reactor), id_(std::move(id)) {}

  const std::string& id() const override { return id_; }
  bool Send(std::map<std::string, configpb::ConfigurationItem> items) override {
    configpb::SubscribeConfigurationResponse message;
    message.set_id(id_);
    for (auto& [key, item] : items) (*message.mutable_items())[key] = std::move(item);
    return outbox_.Send(std::move(message));
  }
  bool ended() override { return outbox_.closing(); }

  Outbox& outbox() { return outbox_; }

 private:
  Outbox outbox_;
  std::string id_;
};

// The subscriptions being served, by id, so that Unsubscribe can end one.
class SubscriptionTable {
 public:
  void Add(const std::string& id, std::shared_ptr<Updates> updates,
           std::shared_ptr<ConfigurationStore> store) {
    absl::MutexLock lock(&mutex_);
    entries_[id] = {std::move(updates), std::move(store)};
  }
  // Ends subscription `id` with `status` (once) and tells its store. False if unknown.
  bool End(const std::string& id, grpc::Status status) {
    Entry entry;
    {
      absl::MutexLock lock(&mutex_);
      auto it = entries_.find(id);
      if (it == entries_.end()) return false;
      entry = std::move(it->second);
      entries_.erase(it);
    }
    RunFor(*entry.store, [store = entry.store, id] { store->Unsubscribe(id); });
    entry.updates->outbox().Close(std::move(status));  // last: may finish the reactor
    return true;
  }

 private:
  struct Entry {
    std::shared_ptr<Updates> updates;
    std::shared_ptr<ConfigurationStore> store;
  };
  absl::Mutex mutex_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);
};

class SubscriptionStream final : public Reactor {
 public:
  SubscriptionStream(std::shared_ptr<SubscriptionTable> table, const std::string& id)
      : table_(std::move(table)), id_(id), updates_(std::make_shared<Updates>(this, id)) {}

  std::shared_ptr<Updates> updates() { return updates_; }

  void OnWriteDone(bool ok) override {
    if (!ok) table_->End(id_, grpc::Status::CANCELLED);
    updates_->outbox().WriteDone(ok);
  }
  void OnCancel() override { table_->End(id_, grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<SubscriptionTable> table_;
  std::string id_;
  std::shared_ptr<Updates> updates_;
};

class ConfigurationService final
    : public FeaturedKindService<configpb::Configuration::CallbackService, ConfigurationStore,
                                 configpb::ConfigurationInitRequest,
                                 configpb::ConfigurationInitResponse> {
 public:
  explicit ConfigurationService(std::shared_ptr<InstanceMap<ConfigurationStore>> instances)
      : FeaturedKindService(std::move(instances)), table_(std::make_shared<SubscriptionTable>()) {}

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const configpb::GetConfigurationRequest* request,
                                configpb::GetConfigurationResponse* response) override {
    auto store = instances_->For(*context);
    return ServeUnary(
        context, store->workers(), request, response,
        [store](const configpb::GetConfigurationRequest& in,
                configpb::GetConfigurationResponse* out) { return store->Get(in, out); });
  }
  Reactor* Subscribe(grpc::CallbackServerContext* context,
                     const configpb::SubscribeConfigurationRequest* request) override {
    auto store = instances_->For(*context);
    std::string id = NewSubscriptionId();
    auto* stream = new SubscriptionStream(table_, id);
    std::shared_ptr<Updates> updates = stream->updates();
    table_->Add(id, updates, store);
    // The confirmation goes first, so that changes follow it.
    configpb::SubscribeConfigurationResponse confirmation;
    confirmation.set_id(id);
    updates->outbox().Send(std::move(confirmation));
    RunFor(*store, [store, updates, table = table_, copy = *request] {
      grpc::Status status = store->Subscribe(copy, updates);
      if (!status.ok()) table->End(updates->id(), status);
    });
    return stream;
  }
  grpc::ServerUnaryReactor* Unsubscribe(grpc::CallbackServerContext* context,
                                        const configpb::UnsubscribeConfigurationRequest* request,
                                        configpb::UnsubscribeConfigurationResponse*) override {
    return ReactUnary(context, [&] {
      if (!table_->End(request->id(), grpc::Status::OK)) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            "subscription with id " + request->id() + " does not exist");
      }
      return grpc::Status::OK;
    });
  }

 private:
  std::shared_ptr<SubscriptionTable> table_;
};

}  // namespace

std::vector<NamedService> ConfigurationServices(
    std::shared_ptr<InstanceMap<ConfigurationStore>> instances) {
  std::vector<NamedService> services;
  services.push_back({configpb::Configuration::service_full_name(),
                      std::make_unique<ConfigurationService>(std::move(instances))});
  return services;
}

}  // namespace plughost::sdk
