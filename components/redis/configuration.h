// configuration.redis-configuration: Dapr's configuration.redis. An item is a Redis string
// "<value>||<version>" (no "||": version ""), read with GET; Get with no keys lists every string
// key. Subscriptions set `notify-keyspace-events Kg$xe` (errors ignored, as Dapr does; again
// after every reconnect, since a restarted Redis forgets it) and listen on
// __keyspace@<db>__:<key> (every key when none is named); each notification re-reads the key
// and sends it, a deleted key as an empty item. So `redis-cli SET` reaches every subscriber.
#pragma once

#include <map>
#include <set>

#include "components/redis/backend.h"
#include "sdk/cpp/configuration_store.h"

namespace plughost::redis {

class RedisConfiguration final : public sdk::ConfigurationStore {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override { return backend_.Init(metadata); }
  grpc::Status Ping() override { return backend_.Ping(); }
  sdk::WorkerPool* workers() override { return backend_.workers(); }

  grpc::Status Get(const sdk::configpb::GetConfigurationRequest& request,
                   sdk::configpb::GetConfigurationResponse* response) override;
  grpc::Status Subscribe(const sdk::configpb::SubscribeConfigurationRequest& request,
                         std::shared_ptr<sdk::ConfigurationUpdates> updates) override;
  void Unsubscribe(const std::string& id) override;

 private:
  class Listener;

  Backend backend_;
  absl::Mutex mutex_;
  std::map<std::string, std::shared_ptr<Listener>> listeners_ ABSL_GUARDED_BY(mutex_);
};

// The items of `keys` (every string key when empty) as Dapr reads them; unknown keys left out.
absl::StatusOr<std::map<std::string, sdk::configpb::ConfigurationItem>> ReadItems(
    RedisClient& client, std::vector<std::string> keys);

}  // namespace plughost::redis
