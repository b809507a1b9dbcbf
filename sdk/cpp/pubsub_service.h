// Dapr's pub/sub service (dapr.proto.components.v1.PubSub) on gRPC's callback API over
// per-instance PubSub objects. Authors rarely need this file: ComponentServer::AddPubSub uses it.
#pragma once

#include <memory>
#include <vector>

#include "sdk/cpp/instance_map.h"
#include "sdk/cpp/named_service.h"
#include "sdk/cpp/pubsub.h"

namespace plughost::sdk {

std::vector<NamedService> PubSubServices(std::shared_ptr<InstanceMap<PubSub>> instances);

}  // namespace plughost::sdk
