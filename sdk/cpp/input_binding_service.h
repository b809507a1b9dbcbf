// Dapr's input binding service (dapr.proto.components.v1.InputBinding) on gRPC's callback API
// over per-instance InputBinding objects (input_binding.h).
#pragma once

#include <memory>
#include <vector>

#include "sdk/cpp/input_binding.h"
#include "sdk/cpp/instance_map.h"
#include "sdk/cpp/named_service.h"

namespace plughost::sdk {

std::vector<NamedService> InputBindingServices(
    std::shared_ptr<InstanceMap<InputBinding>> instances);

}  // namespace plughost::sdk
