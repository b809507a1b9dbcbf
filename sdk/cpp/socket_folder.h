// Where a component puts its socket when it is not told a path: the folder the host scans.
#pragma once

#include <string>

namespace plughost::sdk {

// The first of these that is set and not empty: PLUGHOST_SOCKETS_DIR and
// DAPR_COMPONENTS_SOCKETS_FOLDER (what the host and daprd read, in the host's order), then
// DAPR_COMPONENT_SOCKETS_FOLDER (what Dapr's Kubernetes injector sets); else
// /tmp/dapr-components-sockets, the default of both hosts.
std::string ComponentSocketFolder();

// "<folder>/<name>.sock": hosts derive the component's type from the file's stem
// (cpp-minimal.sock serves type "state.cpp-minimal").
std::string DefaultSocketPath(const std::string& component_name);

}  // namespace plughost::sdk
