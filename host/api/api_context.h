// What the app-facing API services share: the instance table, the app's identity, the
// metadata apps set at runtime, and a way to ask the host to shut down.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "host/app_callback/app_channel.h"
#include "host/registry/instance_table.h"

namespace plughost {

class ExtendedMetadata {
 public:
  void Set(const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    values_[key] = value;
  }
  std::map<std::string, std::string> Snapshot() const {
    std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> values_;
};

struct ApiContext {
  InstanceTable* instances = nullptr;
  std::string app_id;
  std::string runtime_version;
  // Bound on every component call the app did not bound more tightly itself.
  std::chrono::milliseconds component_timeout{std::chrono::seconds(30)};
  ExtendedMetadata extended_metadata;
  // The app's callback server, when --app-address was given; null otherwise.
  std::shared_ptr<AppChannel> app_channel;
  // Called (once, from a gRPC thread) when an app calls Shutdown; must not block.
  std::function<void()> request_shutdown;
};

}  // namespace plughost
