// Where outbound policies meet components: which policy an instance gets, and the instance
// wrapped so that the calls the app makes through it run under that policy
// (host/resiliency/outbound_policy.h). Instances without a policy stay as they are.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "host/components/component.h"
#include "host/components/kind.h"
#include "host/config/host_config.h"

namespace plughost {

// The outbound policy of instance `name` of `kind`: its own target's when a target names the
// component, else Dapr's defaults for its type; nullopt when the policy is empty or the kind
// makes no outbound calls daprd would cover (input bindings, sequencers, hello).
std::optional<DeliveryPolicySpec> OutboundPolicyOf(const OutboundPolicies& policies,
                                                   ComponentKind kind, const std::string& name);

// `component` (an instance of `kind` named `name`) behind a decorator of its own interface that
// runs each API call (state: all; pub/sub: Publish, BulkPublish; output binding: Invoke;
// secret store: Get, BulkGet; configuration: Get; lock: TryLock, Unlock) under `policy`.
// Lifecycle calls and streams (subscriptions, reads) go straight through.
std::shared_ptr<Component> WithOutboundPolicy(ComponentKind kind, const std::string& name,
                                              const DeliveryPolicySpec& policy,
                                              std::shared_ptr<Component> component);

}  // namespace plughost
