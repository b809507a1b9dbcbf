#include "components/redis/configuration.h"

#include <thread>

namespace plughost::redis {
namespace {

constexpr std::chrono::milliseconds kListenPoll{500};

sdk::configpb::ConfigurationItem ItemOf(const std::string& text) {
  sdk::configpb::ConfigurationItem item;
  size_t separator = text.find("||");
  item.set_value(text.substr(0, separator));
  if (separator != std::string::npos) {
    std::string version = text.substr(separator + 2);
    item.set_version(version.substr(0, version.find("||")));  // further parts are dropped
  }
  return item;
}

absl::StatusOr<std::vector<std::string>> AllKeys(RedisClient& client) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    auto reply = RunChecked(client, {"SCAN", cursor, "COUNT", "1000"});
    if (!reply.ok()) return reply.status();
    const redisReply* page = reply->get();
    if (page->type != REDIS_REPLY_ARRAY || page->elements != 2) {
      return absl::InternalError("redis SCAN: unexpected reply");
    }
    cursor = StringOf(page->element[0]);
    for (size_t i = 0; i < page->element[1]->elements; ++i) {
      keys.push_back(StringOf(page->element[1]->element[i]));
    }
  } while (cursor != "0");
  return keys;
}

}  // namespace

absl::StatusOr<std::map<std::string, sdk::configpb::ConfigurationItem>> ReadItems(
    RedisClient& client, std::vector<std::string> keys) {
  if (keys.empty()) {
    auto all = AllKeys(client);
    if (!all.ok()) return all.status();
    keys = std::move(*all);
  }
  std::map<std::string, sdk::configpb::ConfigurationItem> items;
  if (keys.empty()) return items;
  std::vector<std::vector<std::string>> gets;
  gets.reserve(keys.size());
  for (const std::string& key : keys) gets.push_back({"GET", key});
  auto replies = client.RunPipeline(gets);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < keys.size(); ++i) {
    const redisReply* reply = (*replies)[i].get();
    // Missing keys and keys that are not strings (WRONGTYPE) are left out, as Dapr does.
    if (reply->type != REDIS_REPLY_STRING) continue;
    auto item = ItemOf(StringOf(reply));
    if (item.value().empty()) continue;
    items[keys[i]] = std::move(item);
  }
  return items;
}

// One subscription's thread: a dedicated connection in subscribe mode.
class RedisConfiguration::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(std::shared_ptr<RedisClient> client, std::vector<std::string> keys,
           std::shared_ptr<sdk::ConfigurationUpdates> updates)
      : client_(std::move(client)), keys_(std::move(keys)), updates_(std::move(updates)) {}

  void Start() {
    std::thread([self = shared_from_this()] { self->Run(); }).detach();
  }
  void Stop() {
    absl::MutexLock lock(&mutex_);
    stopped_ = true;
  }

 private:
  bool stopped() {
    absl::MutexLock lock(&mutex_);
    return stopped_ || updates_->ended();
  }

  std::string ChannelPrefix() const {
    return "__keyspace@" + std::to_string(client_->settings().db) + "__:";
  }

  absl::StatusOr<std::unique_ptr<RedisConnection>> Listen() {
    auto connection = client_->OpenDedicated(client_->settings().read_timeout);
    if (!connection.ok()) return connection.status();
    (void)(*connection)->Run({"CONFIG", "SET", "notify-keyspace-events", "Kg$xe"});
    std::vector<std::vector<std::string>> subscribe;
    if (keys_.empty()) {
      subscribe.push_back({"PSUBSCRIBE", ChannelPrefix() + "*"});
    } else {
      for (const std::string& key : keys_)
        subscribe.push_back({"SUBSCRIBE", ChannelPrefix() + key});
    }
    auto replies = (*connection)->RunPipeline(subscribe);
    if (!replies.ok()) return replies.status();
    return connection;
  }

  void Run() {
    Backoff backoff(Backoff::Options{std::chrono::milliseconds(100), 1.6, 0.2,
                                     std::chrono::milliseconds(2000)});
    std::unique_ptr<RedisConnection> connection;
    while (!stopped()) {
      if (connection == nullptr || connection->broken()) {
        connection.reset();
        auto listening = Listen();
        if (!listening.ok()) {
          std::this_thread::sleep_for(backoff.NextDelay());
          continue;
        }
        connection = std::move(*listening);
        backoff.Reset();
      }
      auto pushed = connection->ReadPushed(kListenPoll);
      if (!pushed.ok()) continue;  // nothing yet, or broken: reconnect above
      const redisReply* message = pushed->get();
      if (message->type != REDIS_REPLY_ARRAY || message->elements < 3) continue;
      std::string kind = StringOf(message->element[0]);
      std::string channel;
      if (kind == "message") channel = StringOf(message->element[1]);
      if (kind == "pmessage" && message->elements >= 4) channel = StringOf(message->element[2]);
      std::string prefix = ChannelPrefix();
      if (channel.rfind(prefix, 0) != 0) continue;
      std::string key = channel.substr(prefix.size());
      auto items = ReadItems(*client_, {key});
      if (!items.ok()) continue;
      std::map<std::string, sdk::configpb::ConfigurationItem> changed;
      changed[key] = items->count(key) ? (*items)[key] : sdk::configpb::ConfigurationItem();
      if (!updates_->Send(std::move(changed))) return;
    }
  }

  std::shared_ptr<RedisClient> client_;
  const std::vector<std::string> keys_;
  std::shared_ptr<sdk::ConfigurationUpdates> updates_;
  absl::Mutex mutex_;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
};

grpc::Status RedisConfiguration::Get(const sdk::configpb::GetConfigurationRequest& request,
                                     sdk::configpb::GetConfigurationResponse* response) {
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  auto items = ReadItems(**client, {request.keys().begin(), request.keys().end()});
  if (!items.ok()) return ToGrpc(items.status());
  for (auto& [key, item] : *items) (*response->mutable_items())[key] = std::move(item);
  return grpc::Status::OK;
}

grpc::Status RedisConfiguration::Subscribe(
    const sdk::configpb::SubscribeConfigurationRequest& request,
    std::shared_ptr<sdk::ConfigurationUpdates> updates) {
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  std::string id = updates->id();
  auto listener = std::make_shared<Listener>(
      *client, std::vector<std::string>(request.keys().begin(), request.keys().end()),
      std::move(updates));
  {
    absl::MutexLock lock(&mutex_);
    listeners_[id] = listener;
  }
  listener->Start();
  return grpc::Status::OK;
}

void RedisConfiguration::Unsubscribe(const std::string& id) {
  std::shared_ptr<Listener> listener;
  {
    absl::MutexLock lock(&mutex_);
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return;
    listener = std::move(it->second);
    listeners_.erase(it);
  }
  listener->Stop();
}

}  // namespace plughost::redis
