// Where a component puts its socket when it is not told a path: the folder the host scans.
#pragma once

#include <string>

namespace plughost::sdk {

// The folder the host scans by default: the variables and order of common/sockets_folder.h.
std::string ComponentSocketFolder();

// "<folder>/<name>.sock": hosts derive the component's type from the file's stem
// (cpp-minimal.sock serves type "state.cpp-minimal").
std::string DefaultSocketPath(const std::string& component_name);

}  // namespace plughost::sdk
