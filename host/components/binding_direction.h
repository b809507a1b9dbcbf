// Dapr's "direction" metadata on a binding component: "input", "output" or "input, output"
// (key case-insensitive; values split at commas, trimmed, case-insensitive). Without it a
// binding serves both ways its component supports, and its input side is read only when the
// app lists it; with it, only the named sides serve, and a named input side is read even when
// the app does not list it.
#pragma once

#include <map>
#include <string>

#include "host/components/kind.h"

namespace plughost {

// Whether a binding with this metadata serves as `kind` (kInputBinding or kOutputBinding):
// there is no direction metadata, or it names that side.
bool BindingServesAs(const std::map<std::string, std::string>& metadata, ComponentKind kind);

// Whether the direction metadata is present and names the side of `kind`.
bool BindingDirectionNames(const std::map<std::string, std::string>& metadata, ComponentKind kind);

}  // namespace plughost
