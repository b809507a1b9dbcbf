// The one answer to "which folder holds the component sockets" when no flag names it, shared
// by the host's CLI, `DefaultSocketsFolder()`, the C++ SDK and the tests, so a component never
// puts its socket where the host does not look. The Python and Node helpers mirror this order.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>

namespace plughost {

// In order: plughost's own variable, daprd's, the spelling Dapr's Kubernetes injector sets,
// then Layotto's.
inline constexpr const char* kSocketsFolderVariables[] = {
    "PLUGHOST_SOCKETS_DIR", "DAPR_COMPONENTS_SOCKETS_FOLDER", "DAPR_COMPONENT_SOCKETS_FOLDER",
    "LAYOTTO_COMPONENTS_SOCKETS_FOLDER"};

inline constexpr const char* kDefaultSocketsFolder = "/tmp/dapr-components-sockets";

// The first variable above that is set and not empty (a shell `VAR= cmd` means "no override"),
// else the default. `env` returns "" for an unset variable; injectable for tests.
inline std::string ResolveSocketsFolder(const std::function<std::string(const char*)>& env) {
  for (const char* name : kSocketsFolderVariables) {
    std::string value = env(name);
    if (!value.empty()) return value;
  }
  return kDefaultSocketsFolder;
}

// The same, from this process's environment.
inline std::string ResolveSocketsFolder() {
  return ResolveSocketsFolder([](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value ? value : "";
  });
}

}  // namespace plughost
