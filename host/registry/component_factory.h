// A factory creates instances of one component type ("state.redis") of one kind.
// Built-in and pluggable (socket-backed) factories have the same shape.
#pragma once

#include <memory>
#include <string>

#include "host/components/component.h"
#include "host/components/kind.h"

namespace plughost {

class ComponentFactory {
 public:
  virtual ~ComponentFactory() = default;

  virtual ComponentKind kind() const = 0;
  // Full type, e.g. "state.in-memory" or "state.my-socket".
  virtual const std::string& type() const = 0;
  // Where the factory came from, for messages: "built-in" or "socket /path/x.sock".
  virtual const std::string& source() const = 0;
  // The socket behind a pluggable factory; empty for built-ins.
  virtual std::string socket_path() const { return {}; }
  // Creates an uninitialised instance; the caller then runs Component::Init.
  virtual std::shared_ptr<Component> Create(const std::string& instance_name) const = 0;
};

}  // namespace plughost
