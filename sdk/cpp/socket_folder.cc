#include "sdk/cpp/socket_folder.h"

#include "common/sockets_folder.h"

namespace plughost::sdk {

std::string ComponentSocketFolder() { return ResolveSocketsFolder(); }
std::string DefaultSocketPath(const std::string& component_name) {
  return ComponentSocketFolder() + "/" + component_name + ".sock";
}

}  // namespace plughost::sdk
