// Turns discovered sockets into component factories: one factory per (socket, kind), every
// kind wrapped by its adapter in wrappers/<kind>/. The list of adapters lives in one place,
// pluggable_factories.cc.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "host/discovery/discovery.h"
#include "host/registry/factory_registry.h"

namespace plughost {

// The factories one socket gives (one per kind it serves that has an adapter); kinds without
// an adapter are logged and left out. Also used for sockets that appear after startup.
std::vector<std::unique_ptr<ComponentFactory>> MakeSocketFactories(const DiscoveredSocket& socket);

absl::Status RegisterDiscovered(FactoryRegistry::Builder& builder,
                                const std::vector<DiscoveredSocket>& sockets);

}  // namespace plughost
