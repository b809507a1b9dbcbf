// Configuration handlers of the Dapr API. GetConfiguration forwards to the named store.
// SubscribeConfiguration is a server stream: its first message carries the subscription id and
// no items (what Dapr's SDKs wait for), then every batch of changed items follows with the same
// id, until the app cancels the stream or calls UnsubscribeConfiguration with the id (the
// stream then ends with OK); either way the store's subscription is closed.
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>

#include "host/api/api_errors.h"
#include "host/api/dapr_api.h"
#include "host/api/server_write_queue.h"
#include "host/common/limit_hits.h"
#include "host/common/log.h"
#include "host/components/configuration_store.h"

namespace plughost {

namespace commonpb = ::dapr::proto::common::v1;

// Stops an open subscription's stream, by the id its first message gave the app.
class ConfigurationSubscriptions {
 public:
  void Add(const std::string& id, std::function<void()> stop) {
    std::lock_guard lock(mutex_);
    stops_[id] = std::move(stop);
  }
  // The stop function registered under `id`, removed from the table; empty if none.
  std::function<void()> Take(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = stops_.find(id);
    if (it == stops_.end()) return nullptr;
    auto stop = std::move(it->second);
    stops_.erase(it);
    return stop;
  }
  // Stops every subscription, outside the lock (a stop takes it to remove itself).
  void StopAll() {
    std::map<std::string, std::function<void()>> stops;
    {
      std::lock_guard lock(mutex_);
      stops.swap(stops_);
    }
    for (auto& [id, stop] : stops) stop();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::function<void()>> stops_;
};

std::shared_ptr<ConfigurationSubscriptions> NewConfigurationSubscriptions() {
  return std::make_shared<ConfigurationSubscriptions>();
}

namespace {

using AppUpdate = runtimepb::SubscribeConfigurationResponse;

// Dapr's wording for configuration store lookups, which differs from the generic one.
constexpr LookupWording kConfigurationStoreWording{
    [](std::string_view) { return api_errors::ConfigurationStoresNotConfigured(); },
    &api_errors::ConfigurationStoreNotFound,
};

// The two protocols declare ConfigurationItem separately; the fields are the same.
void CopyItems(google::protobuf::Map<std::string, configpb::ConfigurationItem>& from,
               google::protobuf::Map<std::string, commonpb::ConfigurationItem>* to) {
  for (auto& [key, item] : from) {
    auto& out = (*to)[key];
    out.set_value(std::move(*item.mutable_value()));
    out.set_version(std::move(*item.mutable_version()));
    out.mutable_metadata()->swap(*item.mutable_metadata());
  }
}

class ConfigurationStream;

// One app subscription: what the app's stream (the reactor) and the store's callbacks share.
// The store may call back after the reactor is gone, so they hold this, weakly, and never the
// reactor itself, and write to the app's stream through queue_.
class StreamSession : public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(ConfigurationStream* stream, std::shared_ptr<ConfigurationSubscriptions> table,
                std::string store_name, std::vector<std::string> keys, size_t max_pending)
      : table_(std::move(table)),
        store_name_(std::move(store_name)),
        keys_(std::move(keys)),
        max_pending_(max_pending),
        queue_(stream, /*held=*/true) {}

  void Begin(const InstancePtr& store, configpb::SubscribeConfigurationRequest request);
  void OnWriteDone(bool ok);
  // Ends the app's stream with `status` (unless already ending) and closes the subscription.
  void Stop(grpc::Status status);
  void OnStreamDone();

 private:
  void OnStarted(const grpc::Status& status, std::string id);
  void OnUpdate(configpb::SubscribeConfigurationResponse batch);

  std::mutex mutex_;
  const std::shared_ptr<ConfigurationSubscriptions> table_;
  const std::string store_name_;
  const std::vector<std::string> keys_;
  const size_t max_pending_;
  std::shared_ptr<Component> component_;  // keeps the store alive while subscribed
  std::unique_ptr<Subscription> subscription_;
  bool stopped_ = false;
  bool started_ = false;  // the store confirmed; the first message is queued or sent
  std::string id_;
  // Held until the store confirms: the first message (the id) goes before any update.
  ServerWriteQueue<ConfigurationStream, AppUpdate> queue_;
};

class ConfigurationStream final : public grpc::ServerWriteReactor<AppUpdate> {
 public:
  ConfigurationStream(std::shared_ptr<ConfigurationSubscriptions> table, std::string store_name,
                      std::vector<std::string> keys, size_t max_pending)
      : session_(std::make_shared<StreamSession>(this, std::move(table), std::move(store_name),
                                                 std::move(keys), max_pending)) {}

  StreamSession& session() { return *session_; }

  void OnWriteDone(bool ok) override { session_->OnWriteDone(ok); }
  void OnCancel() override {
    session_->Stop(grpc::Status(grpc::StatusCode::CANCELLED, "the app cancelled the stream"));
  }
  void OnDone() override {
    session_->OnStreamDone();
    delete this;
  }

 private:
  std::shared_ptr<StreamSession> session_;
};

void StreamSession::Begin(const InstancePtr& store,
                          configpb::SubscribeConfigurationRequest request) {
  {
    std::lock_guard lock(mutex_);
    component_ = store->component;
  }
  std::weak_ptr<StreamSession> weak = weak_from_this();
  auto subscription = store->As<ConfigurationStore>()->Subscribe(
      std::move(request),
      [weak](configpb::SubscribeConfigurationResponse batch) {
        if (auto self = weak.lock()) self->OnUpdate(std::move(batch));
      },
      [weak](const grpc::Status& status, std::string id) {
        if (auto self = weak.lock()) self->OnStarted(status, std::move(id));
      });
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      subscription_ = std::move(subscription);
      return;
    }
  }
  // Stopped while subscribing (the app went away, or the store refused at once).
  if (subscription) subscription->Close();
}

void StreamSession::OnStarted(const grpc::Status& status, std::string id) {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  if (!status.ok()) {
    queue_.Finish(api_errors::ConfigurationSubscribeFailed(keys_, store_name_, status));
    return;
  }
  id_ = id;
  started_ = true;
  table_->Add(id_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->Stop(grpc::Status::OK);
  });
  AppUpdate first;
  first.set_id(std::move(id));
  queue_.Release(std::move(first));
}

void StreamSession::OnUpdate(configpb::SubscribeConfigurationResponse batch) {
  std::lock_guard lock(mutex_);
  if (stopped_ || queue_.finishing()) return;
  AppUpdate update;
  // The id the app knows, even if the store's own id changed when its stream was reopened.
  update.set_id(started_ ? id_ : batch.id());
  CopyItems(*batch.mutable_items(), update.mutable_items());
  if (queue_.size() >= max_pending_) {
    // The app stopped reading. Dropping updates would leave it believing stale values, so its
    // stream ends instead (after the write in flight); it subscribes again and reads afresh.
    // The store's subscription closes when the stream is done (not here: this is its delivery).
    limit_hits::Hit(limit_hits::Limit::kConfigurationQueueFull);
    PH_LOG_WARN("configuration",
                "subscription {} to store '{}': the app read none of {} updates; "
                "ending its stream",
                id_, store_name_, queue_.size());
    queue_.Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "configuration updates not read in time: subscribe again"));
    return;
  }
  queue_.Push(std::move(update));
}

void StreamSession::OnWriteDone(bool ok) {
  if (queue_.WriteDone(ok)) return;
  // The app is gone; OnCancel may say so too, Stop is idempotent.
  Stop(grpc::Status(grpc::StatusCode::CANCELLED, "the app's stream broke"));
}

void StreamSession::Stop(grpc::Status status) {
  std::unique_ptr<Subscription> subscription;
  std::string id;
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      stopped_ = true;
      subscription = std::move(subscription_);
      id = id_;
    }
    queue_.Finish(std::move(status));
  }
  if (!id.empty()) table_->Take(id);
  // Outside the lock: Close waits for a delivery in progress, which may be waiting for it.
  if (subscription) subscription->Close();
}

void StreamSession::OnStreamDone() {
  queue_.Detach();
  Stop(grpc::Status::CANCELLED);
}

// UnsubscribeConfiguration and its Alpha1 name; `method` labels the call's metrics.
grpc::ServerUnaryReactor* UnsubscribeById(const ApiContext& context, std::string_view method,
                                          ConfigurationSubscriptions& table,
                                          grpc::CallbackServerContext* call,
                                          const runtimepb::UnsubscribeConfigurationRequest* request,
                                          runtimepb::UnsubscribeConfigurationResponse* response) {
  auto* reactor = MeteredUnaryReactor::Start(context, method, request->store_name());
  if (auto status = Authorize(context, call); !status.ok()) {
    reactor->Finish(status);
    return reactor;
  }
  // Like Dapr, by id alone: the store name in the request is not consulted.
  auto stop = table.Take(request->id());
  if (!stop) {
    response->set_ok(false);
    response->set_message(
        api_errors::ConfigurationUnsubscribeFailed(request->id(), "subscription does not exist"));
  } else {
    stop();
    response->set_ok(true);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* DaprApi::GetConfiguration(
    grpc::CallbackServerContext* call, const runtimepb::GetConfigurationRequest* request,
    runtimepb::GetConfigurationResponse* response) try {
  return AnswerGetConfiguration("Dapr/GetConfiguration", call, request, response);
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/GetConfiguration");
}

grpc::ServerUnaryReactor* DaprApi::GetConfigurationAlpha1(
    grpc::CallbackServerContext* call, const runtimepb::GetConfigurationRequest* request,
    runtimepb::GetConfigurationResponse* response) try {
  return AnswerGetConfiguration("Dapr/GetConfigurationAlpha1", call, request, response);
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/GetConfigurationAlpha1");
}

grpc::ServerUnaryReactor* DaprApi::AnswerGetConfiguration(
    std::string_view method, grpc::CallbackServerContext* call,
    const runtimepb::GetConfigurationRequest* request,
    runtimepb::GetConfigurationResponse* response) {
  auto* reactor = MeteredUnaryReactor::Start(*context_, method, request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kConfiguration, request->store_name(),
                               &kConfigurationStoreWording);
  if (!store) return reactor;
  configpb::GetConfigurationRequest get;
  get.mutable_keys()->CopyFrom(request->keys());
  get.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  store->As<ConfigurationStore>()->Get(
      std::move(get), OptionsFor(call),
      [reactor, request, response, store](const grpc::Status& status,
                                          configpb::GetConfigurationResponse got) {
        if (!status.ok()) {
          std::vector<std::string> keys(request->keys().begin(), request->keys().end());
          reactor->Finish(api_errors::ConfigurationGetFailed(keys, store->name, status));
          return;
        }
        CopyItems(*got.mutable_items(), response->mutable_items());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerWriteReactor<runtimepb::SubscribeConfigurationResponse>*
DaprApi::SubscribeConfiguration(grpc::CallbackServerContext* call,
                                const runtimepb::SubscribeConfigurationRequest* request) {
  // Dapr subscribes with the keys sorted (its error messages show them so).
  std::vector<std::string> keys(request->keys().begin(), request->keys().end());
  std::sort(keys.begin(), keys.end());
  auto* stream = new ConfigurationStream(configuration_subscriptions_, request->store_name(), keys,
                                         context_->max_pending_configuration_updates);
  grpc::Status error;
  auto store = ResolveInstance(*context_, call, ComponentKind::kConfiguration,
                               request->store_name(), &error, &kConfigurationStoreWording);
  if (!store) {
    stream->session().Stop(error);
    return stream;
  }
  configpb::SubscribeConfigurationRequest subscribe;
  subscribe.mutable_keys()->Add(keys.begin(), keys.end());
  subscribe.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  stream->session().Begin(store, std::move(subscribe));
  return stream;
}

grpc::ServerWriteReactor<runtimepb::SubscribeConfigurationResponse>*
DaprApi::SubscribeConfigurationAlpha1(grpc::CallbackServerContext* call,
                                      const runtimepb::SubscribeConfigurationRequest* request) {
  return SubscribeConfiguration(call, request);
}

grpc::ServerUnaryReactor* DaprApi::UnsubscribeConfiguration(
    grpc::CallbackServerContext* call, const runtimepb::UnsubscribeConfigurationRequest* request,
    runtimepb::UnsubscribeConfigurationResponse* response) try {
  return UnsubscribeById(*context_, "Dapr/UnsubscribeConfiguration", *configuration_subscriptions_,
                         call, request, response);
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/UnsubscribeConfiguration");
}

void DaprApi::CloseConfigurationSubscriptions() { configuration_subscriptions_->StopAll(); }

grpc::ServerUnaryReactor* DaprApi::UnsubscribeConfigurationAlpha1(
    grpc::CallbackServerContext* call, const runtimepb::UnsubscribeConfigurationRequest* request,
    runtimepb::UnsubscribeConfigurationResponse* response) try {
  return UnsubscribeById(*context_, "Dapr/UnsubscribeConfigurationAlpha1",
                         *configuration_subscriptions_, call, request, response);
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/UnsubscribeConfigurationAlpha1");
}

}  // namespace plughost
