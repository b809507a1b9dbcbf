// The circuit breaker a Resiliency policy names, made from its spec: one construction for the
// pubsubs' inbound breakers and the components' outbound ones.
#pragma once

#include <memory>
#include <string>

#include "host/config/host_config.h"
#include "host/pubsub/circuit_breaker.h"

namespace plughost {

// The breaker `spec` describes, for `owner` ("pubsub 'orders'", "component 'statestore'");
// null, with one error line naming the owner, when its trip expression is outside the
// supported subset (config validation reported it first): the owner then goes without one.
std::shared_ptr<CircuitBreaker> CircuitBreakerOf(const CircuitBreakerSpec& spec,
                                                 const std::string& owner);

}  // namespace plughost
