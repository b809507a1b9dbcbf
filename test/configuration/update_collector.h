// Collects configuration update batches delivered on other threads, and waits for them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "host/components/configuration_store.h"

namespace plughost::testing {

class UpdateCollector {
 public:
  ConfigurationUpdateHandler Handler() {
    return [this](configpb::SubscribeConfigurationResponse batch) {
      std::lock_guard lock(mutex_);
      batches_.push_back(std::move(batch));
      cv_.notify_all();
    };
  }

  // Waits (generously) until `ready(batches)` holds; returns whether it did.
  bool WaitFor(const std::function<
                   bool(const std::vector<configpb::SubscribeConfigurationResponse>&)>& ready,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return ready(batches_); });
  }
  bool WaitForCount(size_t count) {
    return WaitFor([count](const auto& batches) { return batches.size() >= count; });
  }

  std::vector<configpb::SubscribeConfigurationResponse> Batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<configpb::SubscribeConfigurationResponse> batches_;
};

}  // namespace plughost::testing
