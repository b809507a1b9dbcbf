// plughost.components.v1.Configuration on gRPC's callback API over per-instance
// ConfigurationStore objects. Authors rarely need this file: ComponentServer::AddConfiguration
// uses it.
#pragma once

#include <memory>
#include <vector>

#include "sdk/cpp/configuration_store.h"
#include "sdk/cpp/instance_map.h"
#include "sdk/cpp/named_service.h"

namespace plughost::sdk {

std::vector<NamedService> ConfigurationServices(
    std::shared_ptr<InstanceMap<ConfigurationStore>> instances);

}  // namespace plughost::sdk
