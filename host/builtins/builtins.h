// The built-in component types, all registered here, in one place.
#pragma once

#include "absl/status/status.h"
#include "host/registry/factory_registry.h"

namespace plughost {

// Registers every built-in factory (state.in-memory, hello.helloworld, ...) into `builder`.
absl::Status RegisterBuiltins(FactoryRegistry::Builder& builder);

}  // namespace plughost
