#include "host/resiliency/circuit_breaker_of.h"

#include "host/common/log.h"

namespace plughost {

std::shared_ptr<CircuitBreaker> CircuitBreakerOf(const CircuitBreakerSpec& spec,
                                                 const std::string& owner) {
  auto made =
      CircuitBreaker::Make({spec.name, spec.max_requests, spec.interval, spec.timeout, spec.trip});
  if (!made.ok()) {
    PH_LOG_ERROR("resiliency", "{}: {}; it goes without a circuit breaker", owner,
                 made.status().message());
    return nullptr;
  }
  return std::move(*made);
}

}  // namespace plughost
