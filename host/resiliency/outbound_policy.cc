#include "host/resiliency/outbound_policy.h"

#include <algorithm>

#include "host/common/log.h"
#include "host/resiliency/circuit_breaker_of.h"

namespace plughost {

bool IsUnimplemented(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNIMPLEMENTED;
}

OutboundPolicy::OutboundPolicy(std::string component, DeliveryPolicySpec spec)
    : component_(std::move(component)), spec_(std::move(spec)) {
  if (spec_.circuit_breaker) {
    breaker_ = CircuitBreakerOf(*spec_.circuit_breaker, "component '" + component_ + "'");
  }
}

CallOptions OutboundPolicy::AttemptOptions(const CallOptions& options) const {
  CallOptions bounded = options;
  if (spec_.timeout && spec_.timeout->count() > 0) {
    bounded.default_timeout = std::min(options.default_timeout, *spec_.timeout);
  }
  return bounded;
}

std::optional<uint64_t> OutboundPolicy::Allow() const {
  if (!breaker_) return 0;
  return breaker_->Allow();
}

void OutboundPolicy::Record(uint64_t token, bool success) const {
  if (!breaker_) return;
  if (auto change = breaker_->Record(token, success)) {
    PH_LOG_WARN("resiliency", "component '{}': outbound circuit breaker '{}' is now {}", component_,
                breaker_->name(), StateName(*change));
  }
}

grpc::Status OutboundPolicy::RefusedStatus() const {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "circuit breaker '" + (breaker_ ? breaker_->name() : std::string()) +
                          "' of component '" + component_ + "' is open");
}

namespace outbound_internal {

void LogOutboundRetry(const std::string& component, const char* operation,
                      const grpc::Status& status, std::chrono::milliseconds delay) {
  PH_LOG_WARN("resiliency", "component '{}': {} failed ({}); retrying in {} ms", component,
              operation, status.error_message(), delay.count());
}

}  // namespace outbound_internal
}  // namespace plughost
