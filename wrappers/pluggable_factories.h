// Turns discovered sockets into component factories: one factory per (socket, kind), every
// kind wrapped by its adapter in wrappers/<kind>/. The list of adapters lives in one place,
// pluggable_factories.cc.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "host/discovery/discovery.h"
#include "host/registry/factory_registry.h"

namespace plughost {

absl::Status RegisterDiscovered(FactoryRegistry::Builder& builder,
                                const std::vector<DiscoveredSocket>& sockets);

}  // namespace plughost
