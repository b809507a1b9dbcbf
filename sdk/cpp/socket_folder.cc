#include "sdk/cpp/socket_folder.h"

#include <cstdlib>

namespace plughost::sdk {

std::string ComponentSocketFolder() {
  for (const char* variable : {"PLUGHOST_SOCKETS_DIR", "DAPR_COMPONENTS_SOCKETS_FOLDER",
                               "DAPR_COMPONENT_SOCKETS_FOLDER"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return "/tmp/dapr-components-sockets";
}

std::string DefaultSocketPath(const std::string& component_name) {
  return ComponentSocketFolder() + "/" + component_name + ".sock";
}

}  // namespace plughost::sdk
