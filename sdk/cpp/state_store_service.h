// Dapr's state services (dapr.proto.components.v1.StateStore, TransactionalStateStore,
// TransactionalStoreMultiMaxSize) on gRPC's callback API, over per-instance StateStore objects.
// Authors rarely need this file: ComponentServer::AddStateStore<Store>() uses it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/impl/service_type.h>

#include "sdk/cpp/instance_map.h"
#include "sdk/cpp/named_service.h"
#include "sdk/cpp/state_store.h"

namespace plughost::sdk {

// StateStore alone.
std::vector<NamedService> StateStoreServices(
    const std::shared_ptr<InstanceMap<StateStore>>& instances);
// StateStore, TransactionalStateStore and TransactionalStoreMultiMaxSize, sharing the instances.
std::vector<NamedService> StateStoreServices(
    const std::shared_ptr<InstanceMap<TransactionalStateStore>>& instances);

}  // namespace plughost::sdk
