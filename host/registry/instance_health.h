// Whether an instance may take calls right now, and why not. Shared by the API (which fails
// calls fast with UNAVAILABLE instead of sending them to a component that is down or not yet
// re-initialised) and the lifecycle code that watches components and brings them back.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace plughost {

class InstanceHealth {
 public:
  enum class State { kReady, kUnavailable, kReinitializing };

  bool ready() const { return state_.load(std::memory_order_acquire) == State::kReady; }
  State state() const { return state_.load(std::memory_order_acquire); }

  // Returns true when this call changed the state (so the caller logs once per transition).
  bool MarkReady();
  bool MarkUnavailable(const std::string& reason);
  void MarkReinitializing();
  std::string reason() const;

  // Calls currently in flight, for the per-component concurrency limit.
  std::atomic<int64_t> inflight{0};
  std::atomic<uint64_t> recoveries{0};

 private:
  std::atomic<State> state_{State::kReady};
  mutable std::mutex mutex_;
  std::string reason_;
};

}  // namespace plughost
