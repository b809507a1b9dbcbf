#include "host/registry/instance_health.h"

namespace plughost {

bool InstanceHealth::MarkReady() {
  return state_.exchange(State::kReady, std::memory_order_acq_rel) != State::kReady;
}

bool InstanceHealth::MarkUnavailable(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    reason_ = reason;
  }
  return state_.exchange(State::kUnavailable, std::memory_order_acq_rel) == State::kReady;
}

void InstanceHealth::MarkReinitializing() {
  state_.store(State::kReinitializing, std::memory_order_release);
}

bool InstanceHealth::MarkFailingHealthChecks(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    reason_ = reason;
  }
  return !failing_health_checks_.exchange(true, std::memory_order_acq_rel);
}

bool InstanceHealth::ClearFailingHealthChecks() {
  return failing_health_checks_.exchange(false, std::memory_order_acq_rel);
}

std::string InstanceHealth::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

}  // namespace plughost
