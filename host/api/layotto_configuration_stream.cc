// SubscribeConfiguration of the Layotto API: one bidirectional stream per app connection, as in
// Layotto. Each message the app sends, {store_name, app_id, group, label, keys, metadata},
// subscribes once more, on the named store (the same ConfigurationStore::Subscribe the Dapr API
// uses); every batch of changed items from any of them goes out as {store_name, app_id, items},
// the items mapped as GetConfiguration maps them (a deleted item has empty content).
// As in Layotto, an unknown store ends the whole stream with UNKNOWN "configure store [<name>]
// don't support now", and so does the app closing its side (plughost ends the stream with OK).
// Backpressure: at most kMaxPendingBatches batches wait for an app that does not read; one more
// ends the stream with RESOURCE_EXHAUSTED (counted in /metrics as
// plughost_limit_hits_total{limit="configuration_queue_full"}) and closes its subscriptions, so a
// stalled app cannot grow the host. The store's subscriptions close whenever the stream ends, and
// at host shutdown.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "host/api/layotto_api.h"
#include "host/api/layotto_configuration.h"
#include "host/api/server_write_queue.h"
#include "host/common/limit_hits.h"

namespace plughost {

namespace {

constexpr size_t kMaxPendingBatches = 256;

using AppRequest = layottopb::SubscribeConfigurationRequest;
using AppUpdate = layottopb::SubscribeConfigurationResponse;

class LayottoConfigurationStream;

// What the app's stream (the reactor) and the stores' callbacks share. Stores may call back
// after the reactor is gone, so they hold this weakly; both write to the app's stream through
// queue_.
class StreamSession : public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(LayottoConfigurationStream* stream, const ApiContext* context)
      : context_(context), queue_(stream, /*held=*/false) {}

  // One request from the app: resolve the store and subscribe.
  void OnRequest(grpc::CallbackServerContext* call, const AppRequest& request);
  void OnWriteDone(bool ok);
  // Ends the app's stream with `status` (unless already ending) and closes every subscription.
  void Stop(grpc::Status status);
  void OnStreamDone();

 private:
  void OnUpdate(const std::string& store_name, const std::string& app_id, const std::string& group,
                const std::string& label, configpb::SubscribeConfigurationResponse batch);

  std::mutex mutex_;
  const ApiContext* context_;
  std::vector<std::shared_ptr<Component>> stores_;  // kept alive while subscribed
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
  bool stopped_ = false;
  ServerWriteQueue<LayottoConfigurationStream, AppUpdate> queue_;
};

}  // namespace

// The open streams, by a number of their own, so shutdown can end them.
class LayottoConfigurationStreams {
 public:
  uint64_t Add(std::weak_ptr<StreamSession> session) {
    std::lock_guard lock(mutex_);
    sessions_[++next_] = std::move(session);
    return next_;
  }
  void Remove(uint64_t id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
  }
  void StopAll() {
    std::map<uint64_t, std::weak_ptr<StreamSession>> sessions;
    {
      std::lock_guard lock(mutex_);
      sessions.swap(sessions_);
    }
    for (auto& [id, weak] : sessions) {
      if (auto session = weak.lock()) session->Stop(grpc::Status::OK);
    }
  }

 private:
  std::mutex mutex_;
  uint64_t next_ = 0;
  std::map<uint64_t, std::weak_ptr<StreamSession>> sessions_;
};

std::shared_ptr<LayottoConfigurationStreams> NewLayottoConfigurationStreams() {
  return std::make_shared<LayottoConfigurationStreams>();
}

namespace {

class LayottoConfigurationStream final : public grpc::ServerBidiReactor<AppRequest, AppUpdate> {
 public:
  LayottoConfigurationStream(grpc::CallbackServerContext* call, const ApiContext* context,
                             std::shared_ptr<LayottoConfigurationStreams> table)
      : call_(call),
        session_(std::make_shared<StreamSession>(this, context)),
        table_(std::move(table)),
        id_(table_->Add(session_)) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The app closed its side (or went away): Layotto ends the stream then too.
      session_->Stop(grpc::Status::OK);
      return;
    }
    session_->OnRequest(call_, request_);
    request_.Clear();
    StartRead(&request_);
  }
  void OnWriteDone(bool ok) override { session_->OnWriteDone(ok); }
  void OnCancel() override {
    session_->Stop(grpc::Status(grpc::StatusCode::CANCELLED, "the app cancelled the stream"));
  }
  void OnDone() override {
    table_->Remove(id_);
    session_->OnStreamDone();
    delete this;
  }

 private:
  grpc::CallbackServerContext* call_;
  AppRequest request_;
  std::shared_ptr<StreamSession> session_;
  std::shared_ptr<LayottoConfigurationStreams> table_;
  const uint64_t id_;
};

void StreamSession::OnRequest(grpc::CallbackServerContext* call, const AppRequest& request) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
  }
  grpc::Status error;
  auto store = ResolveInstance(*context_, call, ComponentKind::kConfiguration, request.store_name(),
                               &error, &kLayottoConfigurationWording);
  if (!store) {
    Stop(error);
    return;
  }
  configpb::SubscribeConfigurationRequest subscribe;
  subscribe.mutable_keys()->CopyFrom(request.keys());
  auto metadata = LayottoStoreMetadata(request.metadata(), request.group(), request.label());
  subscribe.mutable_metadata()->insert(metadata.begin(), metadata.end());
  // Layotto answers with the app id the request named, else the host's.
  std::string app_id = request.app_id().empty() ? context_->app_id : request.app_id();
  std::weak_ptr<StreamSession> weak = weak_from_this();
  auto subscription = store->As<ConfigurationStore>()->Subscribe(
      std::move(subscribe),
      [weak, store_name = store->name, app_id, group = request.group(),
       label = request.label()](configpb::SubscribeConfigurationResponse batch) {
        if (auto self = weak.lock()) {
          self->OnUpdate(store_name, app_id, group, label, std::move(batch));
        }
      },
      [weak, store_name = store->name](const grpc::Status& status, const std::string& /*id*/) {
        if (status.ok()) return;
        if (auto self = weak.lock()) {
          self->Stop(grpc::Status(
              status.error_code(),
              fmt::format("configuration store {}: {}", store_name, status.error_message())));
        }
      });
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      stores_.push_back(store->component);
      if (subscription) subscriptions_.push_back(std::move(subscription));
      return;
    }
  }
  // Stopped while subscribing (the app went away, or the store refused at once).
  if (subscription) subscription->Close();
}

void StreamSession::OnUpdate(const std::string& store_name, const std::string& app_id,
                             const std::string& group, const std::string& label,
                             configpb::SubscribeConfigurationResponse batch) {
  std::lock_guard lock(mutex_);
  if (stopped_ || queue_.finishing()) return;
  if (queue_.size() >= kMaxPendingBatches) {
    // Only the stream ends here: closing the subscriptions would wait for this very delivery.
    // They close when the reactor is done (OnStreamDone), and meanwhile updates are dropped.
    limit_hits::Hit(limit_hits::Limit::kConfigurationQueueFull);
    queue_.Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               fmt::format("the app did not read {} configuration updates; "
                                           "the stream is dropped",
                                           kMaxPendingBatches)));
    return;
  }
  AppUpdate update;
  update.set_store_name(store_name);
  update.set_app_id(app_id);
  AppendLayottoItems(*batch.mutable_items(), group, label, update.mutable_items());
  queue_.Push(std::move(update));
}

void StreamSession::OnWriteDone(bool ok) {
  if (queue_.WriteDone(ok)) return;
  Stop(grpc::Status(grpc::StatusCode::CANCELLED, "the app's stream broke"));
}

void StreamSession::Stop(grpc::Status status) {
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      stopped_ = true;
      subscriptions.swap(subscriptions_);
    }
    queue_.Finish(std::move(status));
  }
  for (auto& subscription : subscriptions) subscription->Close();
}

void StreamSession::OnStreamDone() {
  queue_.Detach();
  Stop(grpc::Status::CANCELLED);
}

}  // namespace

grpc::ServerBidiReactor<AppRequest, AppUpdate>* LayottoApi::SubscribeConfiguration(
    grpc::CallbackServerContext* call) {
  return new LayottoConfigurationStream(call, context_, configuration_streams_);
}

void LayottoApi::CloseConfigurationSubscriptions() { configuration_streams_->StopAll(); }

}  // namespace plughost
