// The gRPC adapters of the kinds whose calls are all unary: lock, sequencer and output binding.
// Authors rarely need this file: ComponentServer::AddLock / AddSequencer / AddOutputBinding use it.
#pragma once

#include <memory>
#include <vector>

#include "sdk/cpp/instance_map.h"
#include "sdk/cpp/lock.h"
#include "sdk/cpp/named_service.h"
#include "sdk/cpp/output_binding.h"
#include "sdk/cpp/sequencer.h"

namespace plughost::sdk {

std::vector<NamedService> LockServices(std::shared_ptr<InstanceMap<LockStore>> instances);
std::vector<NamedService> SequencerServices(std::shared_ptr<InstanceMap<Sequencer>> instances);
std::vector<NamedService> OutputBindingServices(
    std::shared_ptr<InstanceMap<OutputBinding>> instances);

}  // namespace plughost::sdk
