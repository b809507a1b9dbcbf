// The pub/sub subscriptions currently delivering to the app (streaming ones opened through
// SubscribeTopicEventsAlpha1, and the app callback's), as GetMetadata lists them; and a way to
// end the streaming ones when the host shuts down, so they do not hold up the drain.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "dapr/proto/runtime/v1/dapr.pb.h"

namespace plughost {

class ActiveSubscriptions {
 public:
  using Id = uint64_t;

  // `close`, when given, ends the subscription; CloseAll() calls it without holding any lock.
  Id Add(dapr::proto::runtime::v1::PubsubSubscription subscription,
         std::function<void()> close = nullptr) {
    std::lock_guard lock(mutex_);
    Id id = ++next_id_;
    entries_.emplace(id, Entry{std::move(subscription), std::move(close)});
    return id;
  }

  void Remove(Id id) {
    Entry removed;
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(id); it != entries_.end()) {
      removed = std::move(it->second);
      entries_.erase(it);
    }
  }

  // In the order they were added.
  std::vector<dapr::proto::runtime::v1::PubsubSubscription> Snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<dapr::proto::runtime::v1::PubsubSubscription> out;
    out.reserve(entries_.size());
    for (const auto& [id, entry] : entries_) out.push_back(entry.subscription);
    return out;
  }

  void CloseAll() {
    std::vector<std::function<void()>> closers;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, entry] : entries_) {
        if (entry.close) closers.push_back(entry.close);
      }
    }
    for (auto& close : closers) close();
  }

 private:
  struct Entry {
    dapr::proto::runtime::v1::PubsubSubscription subscription;
    std::function<void()> close;
  };

  mutable std::mutex mutex_;
  Id next_id_ = 0;
  std::map<Id, Entry> entries_;
};

}  // namespace plughost
