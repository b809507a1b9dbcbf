#include "host/registry/factory_registry.h"

#include <fmt/format.h>

namespace plughost {

bool FactoryRegistry::Builder::HasType(const std::string& type) const {
  for (const auto& [key, factory] : factories_) {
    if (key.second == type) return true;
  }
  return false;
}

absl::Status FactoryRegistry::Builder::Register(std::unique_ptr<ComponentFactory> factory) {
  auto key = std::make_pair(factory->kind(), factory->type());
  auto [it, inserted] = factories_.try_emplace(key, nullptr);
  if (!inserted) {
    return absl::AlreadyExistsError(
        fmt::format("component type {} ({}) is provided twice: by {} and by {}; rename one of them "
                    "(a socket's type is its file name minus the extension)",
                    factory->type(), KindDisplayName(factory->kind()), it->second->source(),
                    factory->source()));
  }
  it->second = std::move(factory);
  return absl::OkStatus();
}

FactoryRegistry FactoryRegistry::Builder::Build() && {
  FactoryRegistry registry;
  registry.factories_ = std::move(factories_);
  return registry;
}

const ComponentFactory* FactoryRegistry::Find(ComponentKind kind, const std::string& type) const {
  auto it = factories_.find({kind, type});
  return it == factories_.end() ? nullptr : it->second.get();
}

std::vector<const ComponentFactory*> FactoryRegistry::FindByType(const std::string& type) const {
  std::vector<const ComponentFactory*> found;
  for (const auto& [key, factory] : factories_) {
    if (key.second == type) found.push_back(factory.get());
  }
  return found;
}

std::vector<const ComponentFactory*> FactoryRegistry::All() const {
  std::vector<const ComponentFactory*> all;
  all.reserve(factories_.size());
  for (const auto& [key, factory] : factories_) all.push_back(factory.get());
  return all;
}

}  // namespace plughost
