// The registry of component factories, built once by a Builder and then frozen.
//
//   FactoryRegistry::Builder builder;
//   RegisterBuiltins(builder);                 // host/builtins/builtins.h
//   RegisterDiscovered(builder, discovered);   // wrappers/pluggable_factories.h
//   FactoryRegistry registry = std::move(builder).Build();
//
// The Builder is not thread safe; the built registry is immutable and safe to share.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "host/registry/component_factory.h"

namespace plughost {

class FactoryRegistry {
 public:
  class Builder {
   public:
    // Adds a factory. Two factories for one (kind, type) are an error naming both sources.
    absl::Status Register(std::unique_ptr<ComponentFactory> factory);
    bool HasType(const std::string& type) const;
    FactoryRegistry Build() &&;

   private:
    std::map<std::pair<ComponentKind, std::string>, std::unique_ptr<ComponentFactory>> factories_;
  };

  FactoryRegistry(FactoryRegistry&&) = default;
  FactoryRegistry& operator=(FactoryRegistry&&) = default;
  FactoryRegistry(const FactoryRegistry&) = delete;
  FactoryRegistry& operator=(const FactoryRegistry&) = delete;

  // The factory for exactly this kind and type, or nullptr.
  const ComponentFactory* Find(ComponentKind kind, const std::string& type) const;
  // Every factory registered under `type` (input and output bindings share a type).
  std::vector<const ComponentFactory*> FindByType(const std::string& type) const;
  // Every factory, ordered by (kind, type).
  std::vector<const ComponentFactory*> All() const;

 private:
  FactoryRegistry() = default;
  std::map<std::pair<ComponentKind, std::string>, std::unique_ptr<ComponentFactory>> factories_;
};

}  // namespace plughost
