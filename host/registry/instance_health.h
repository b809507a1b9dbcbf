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

  // Whether calls go to the component. A component failing its health checks but still
  // connected stays ready: its calls may well succeed (a slow Ping is not a dead component).
  bool ready() const { return state_.load(std::memory_order_acquire) == State::kReady; }
  State state() const { return state_.load(std::memory_order_acquire); }

  // Returns true when this call changed the state (so the caller logs once per transition).
  bool MarkReady();
  bool MarkUnavailable(const std::string& reason);
  void MarkReinitializing();
  std::string reason() const;

  // Health checks failed `threshold` times in a row while the connection stayed up: /readyz
  // reports the instance, calls still go through. Cleared by the next passing check. Both
  // return true when they changed the flag.
  bool MarkFailingHealthChecks(const std::string& reason);
  bool ClearFailingHealthChecks();
  bool failing_health_checks() const {
    return failing_health_checks_.load(std::memory_order_acquire);
  }

  // The instance's socket was removed and it was never named by the configuration (an
  // automatic instance): unplugged, so /readyz no longer requires it. Cleared when the socket
  // comes back.
  void SetUnplugged(bool unplugged) { unplugged_.store(unplugged, std::memory_order_release); }
  bool unplugged() const { return unplugged_.load(std::memory_order_acquire); }

  // What /readyz asks: ready, passing its health checks, or unplugged.
  bool counts_as_ready() const { return unplugged() || (ready() && !failing_health_checks()); }

  // Calls currently in flight, for the per-component concurrency limit.
  std::atomic<int64_t> inflight{0};
  std::atomic<uint64_t> recoveries{0};

 private:
  std::atomic<State> state_{State::kReady};
  std::atomic<bool> failing_health_checks_{false};
  std::atomic<bool> unplugged_{false};
  mutable std::mutex mutex_;
  std::string reason_;
};

}  // namespace plughost
