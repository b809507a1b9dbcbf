#include "examples/components/cpp/configuration_service.h"

#include <charconv>
#include <cstdio>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include "sdk/cpp/unary_reaction.h"

namespace plughost::sample {
namespace {

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// "3" -> "4"; anything that is not a decimal number starts again at "1".
std::string NextVersion(const std::string& previous) {
  uint64_t number = 0;
  const char* end = previous.data() + previous.size();
  auto [ptr, ec] = std::from_chars(previous.data(), end, number);
  if (previous.empty() || ec != std::errc() || ptr != end) return "1";
  return std::to_string(number + 1);
}

// Random, so ids never repeat across instances or restarts.
std::string NewSubscriptionId() {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  uint64_t high, low;
  {
    std::lock_guard lock(mutex);
    high = random();
    low = random();
  }
  char text[40];
  std::snprintf(text, sizeof(text), "sample-%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return text;
}

// One Subscribe call: its messages go through the outbox; the instance forgets the
// subscription when the stream ends, however it ends.
class SubscriptionStream final : public ConfigurationOutbox::Reactor {
 public:
  SubscriptionStream(std::shared_ptr<ConfigurationInstance> instance, std::string id)
      : instance_(std::move(instance)),
        id_(std::move(id)),
        outbox_(std::make_shared<ConfigurationOutbox>(this)) {}

  const std::shared_ptr<ConfigurationOutbox>& outbox() const { return outbox_; }

  void OnWriteDone(bool ok) override {
    outbox_->OnWriteDone(ok);
    if (!ok) {
      instance_->RemoveSubscriber(id_);
      outbox_->Finish(grpc::Status::CANCELLED);
    }
  }
  void OnCancel() override {
    instance_->RemoveSubscriber(id_);
    outbox_->Finish(grpc::Status::CANCELLED);
  }
  void OnDone() override {
    instance_->RemoveSubscriber(id_);
    outbox_->Detach();
    delete this;
  }

 private:
  std::shared_ptr<ConfigurationInstance> instance_;
  std::string id_;
  std::shared_ptr<ConfigurationOutbox> outbox_;
};

}  // namespace

void ConfigurationOutbox::Send(configpb::SubscribeConfigurationResponse message) {
  std::lock_guard lock(mutex_);
  if (reactor_ == nullptr || finish_) return;
  queue_.push_back(std::move(message));
  WriteNextLocked();
}

void ConfigurationOutbox::Finish(grpc::Status status) {
  std::lock_guard lock(mutex_);
  if (finish_) return;
  finish_ = std::move(status);
  WriteNextLocked();
}

void ConfigurationOutbox::OnWriteDone(bool ok) {
  std::lock_guard lock(mutex_);
  writing_ = false;
  if (!ok) queue_.clear();  // the stream is broken; the caller finishes it
  WriteNextLocked();
}

void ConfigurationOutbox::Detach() {
  std::lock_guard lock(mutex_);
  reactor_ = nullptr;
}

void ConfigurationOutbox::WriteNextLocked() {
  if (reactor_ == nullptr || writing_ || finished_) return;
  if (!queue_.empty()) {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    reactor_->StartWrite(&current_);
    return;
  }
  if (finish_) {
    finished_ = true;
    reactor_->Finish(*finish_);
  }
}

grpc::Status ConfigurationInstance::Init(const std::map<std::string, std::string>& metadata) {
  std::map<std::string, configpb::ConfigurationItem> items;
  for (const auto& [key, value] : metadata) {
    if (!StartsWith(key, kItemPrefix)) continue;
    std::string name = key.substr(std::string_view(kItemPrefix).size());
    if (name.empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "metadata \"config.\" names no item: use config.<key>");
    }
    configpb::ConfigurationItem item;
    item.set_value(value);
    item.set_version("1");
    items[name] = std::move(item);
  }
  std::lock_guard lock(mutex_);
  items_ = std::move(items);
  return grpc::Status::OK;
}

grpc::Status ConfigurationInstance::Get(const configpb::GetConfigurationRequest& request,
                                        configpb::GetConfigurationResponse* response) {
  std::vector<
      std::pair<std::shared_ptr<ConfigurationOutbox>, configpb::SubscribeConfigurationResponse>>
      deliveries;
  {
    std::lock_guard lock(mutex_);
    std::map<std::string, configpb::ConfigurationItem> changed;
    for (const auto& [key, value] : request.metadata()) {
      if (!StartsWith(key, kSetHookPrefix)) continue;
      std::string name = key.substr(std::string_view(kSetHookPrefix).size());
      if (name.empty()) continue;
      auto& item = items_[name];
      item.set_version(item.version().empty() ? "1" : NextVersion(item.version()));
      item.set_value(value);
      changed[name] = item;
    }
    if (!changed.empty()) {
      for (const auto& [id, subscriber] : subscribers_) {
        configpb::SubscribeConfigurationResponse batch;
        batch.set_id(id);
        for (const auto& [name, item] : changed) {
          if (subscriber.keys.empty() || subscriber.keys.count(name)) {
            (*batch.mutable_items())[name] = item;
          }
        }
        if (!batch.items().empty()) deliveries.emplace_back(subscriber.outbox, std::move(batch));
      }
    }
    if (request.metadata().count(kSubscribersHookKey)) {
      (*response->mutable_items())[kSubscribersHookKey].set_value(
          std::to_string(subscribers_.size()));
    }
    if (request.keys().empty()) {
      response->mutable_items()->insert(items_.begin(), items_.end());
    } else {
      for (const auto& key : request.keys()) {
        if (auto it = items_.find(key); it != items_.end()) {
          (*response->mutable_items())[key] = it->second;
        }
      }
    }
  }
  // Queued in order under the outboxes' own locks, outside the instance's.
  for (auto& [outbox, batch] : deliveries) outbox->Send(std::move(batch));
  return grpc::Status::OK;
}

void ConfigurationInstance::AddSubscriber(const std::string& id, std::set<std::string> keys,
                                          std::shared_ptr<ConfigurationOutbox> outbox) {
  std::lock_guard lock(mutex_);
  subscribers_[id] = Subscriber{std::move(keys), std::move(outbox)};
}

void ConfigurationInstance::RemoveSubscriber(const std::string& id) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(id);
}

void ConfigurationInstance::Unsubscribe(const std::string& id) {
  std::shared_ptr<ConfigurationOutbox> outbox;
  {
    std::lock_guard lock(mutex_);
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) return;
    outbox = std::move(it->second.outbox);
    subscribers_.erase(it);
  }
  outbox->Finish(grpc::Status::OK);
}

grpc::ServerUnaryReactor* ConfigurationService::Init(
    grpc::CallbackServerContext* context, const configpb::ConfigurationInitRequest* request,
    configpb::ConfigurationInitResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    const auto& properties = request->metadata().properties();
    std::map<std::string, std::string> metadata(properties.begin(), properties.end());
    return instances_->For(*context)->Init(metadata);
  });
}

grpc::ServerUnaryReactor* ConfigurationService::Features(
    grpc::CallbackServerContext* context,
    const dapr::proto::components::v1::FeaturesRequest* /*request*/,
    dapr::proto::components::v1::FeaturesResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* ConfigurationService::Ping(
    grpc::CallbackServerContext* context,
    const dapr::proto::components::v1::PingRequest* /*request*/,
    dapr::proto::components::v1::PingResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* ConfigurationService::Get(
    grpc::CallbackServerContext* context, const configpb::GetConfigurationRequest* request,
    configpb::GetConfigurationResponse* response) {
  return sdk::ReactUnary(context,
                         [&] { return instances_->For(*context)->Get(*request, response); });
}

grpc::ServerWriteReactor<configpb::SubscribeConfigurationResponse>* ConfigurationService::Subscribe(
    grpc::CallbackServerContext* context, const configpb::SubscribeConfigurationRequest* request) {
  auto instance = instances_->For(*context);
  std::string id = NewSubscriptionId();
  auto* stream = new SubscriptionStream(instance, id);
  // The confirmation goes first; the subscriber is registered after it, so changes follow it.
  configpb::SubscribeConfigurationResponse first;
  first.set_id(id);
  stream->outbox()->Send(std::move(first));
  instance->AddSubscriber(id, std::set<std::string>(request->keys().begin(), request->keys().end()),
                          stream->outbox());
  return stream;
}

grpc::ServerUnaryReactor* ConfigurationService::Unsubscribe(
    grpc::CallbackServerContext* context, const configpb::UnsubscribeConfigurationRequest* request,
    configpb::UnsubscribeConfigurationResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    instances_->For(*context)->Unsubscribe(request->id());
    return grpc::Status::OK;
  });
}

}  // namespace plughost::sample
