// The live component instances, by kind and name: what the runtime API looks up on every call.
// Reads take a shared lock and copy one shared_ptr; writes (startup, hot-plug) are rare.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "host/components/component.h"
#include "host/components/kind.h"
#include "host/registry/instance_health.h"

namespace plughost {

struct InstanceInfo {
  std::string name;
  std::string type;
  std::string version;
  ComponentKind kind;
  std::string source;  // where the factory came from ("built-in", "socket ...")
  std::map<std::string, std::string> metadata;
  // Prepended to state, lock and sequencer keys (Dapr's keyPrefix strategies); empty = none.
  std::string key_prefix;
  std::shared_ptr<Component> component;
  // What the instance was initialised with, replayed when its component comes back.
  InitSpec init_spec;
  // The component's socket; empty for built-ins.
  std::string socket_path;
  // Named by the configuration (false: an automatic instance named after its socket), so
  // required by /readyz even when its socket is gone.
  bool configured = false;
  std::shared_ptr<InstanceHealth> health = std::make_shared<InstanceHealth>();

  template <typename Interface>
  Interface* As() const {
    return static_cast<Interface*>(component.get());
  }
};

using InstancePtr = std::shared_ptr<const InstanceInfo>;

class InstanceTable {
 public:
  // Adds an instance; a second instance of the same kind and name is an error naming both.
  absl::Status Add(InstanceInfo info);

  // The instance of `kind` named `name`, or nullptr.
  InstancePtr Find(ComponentKind kind, const std::string& name) const;

  bool HasKind(ComponentKind kind) const;
  // Whether any instance, of any kind, has this name.
  bool HasName(std::string_view name) const;
  // Every instance backed by the socket at `path`.
  std::vector<InstancePtr> ForSocket(const std::string& path) const;
  std::vector<InstancePtr> All() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::pair<ComponentKind, std::string>, InstancePtr, std::less<>> instances_;
};

}  // namespace plughost
