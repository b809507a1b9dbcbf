#include "host/registry/instance_table.h"

#include <fmt/format.h>

#include <mutex>

namespace plughost {

absl::Status InstanceTable::Add(InstanceInfo info) {
  std::unique_lock lock(mutex_);
  auto key = std::make_pair(info.kind, info.name);
  auto it = instances_.find(key);
  if (it != instances_.end()) {
    return absl::AlreadyExistsError(fmt::format(
        "two {} instances are named '{}': one of type {} from {}, one of type {} from {}",
        KindDisplayName(info.kind), info.name, it->second->type, it->second->source, info.type,
        info.source));
  }
  instances_.emplace(std::move(key), std::make_shared<const InstanceInfo>(std::move(info)));
  return absl::OkStatus();
}

InstancePtr InstanceTable::Find(ComponentKind kind, const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto it = instances_.find(std::make_pair(kind, name));
  return it == instances_.end() ? nullptr : it->second;
}

bool InstanceTable::HasKind(ComponentKind kind) const {
  std::shared_lock lock(mutex_);
  for (const auto& [key, info] : instances_) {
    if (key.first == kind) return true;
  }
  return false;
}

bool InstanceTable::HasName(std::string_view name) const {
  std::shared_lock lock(mutex_);
  for (const auto& [key, info] : instances_) {
    if (key.second == name) return true;
  }
  return false;
}

std::vector<InstancePtr> InstanceTable::ForSocket(const std::string& path) const {
  std::shared_lock lock(mutex_);
  std::vector<InstancePtr> found;
  for (const auto& [key, info] : instances_) {
    if (!info->socket_path.empty() && info->socket_path == path) found.push_back(info);
  }
  return found;
}

std::vector<InstancePtr> InstanceTable::All() const {
  std::shared_lock lock(mutex_);
  std::vector<InstancePtr> all;
  all.reserve(instances_.size());
  for (const auto& [key, info] : instances_) all.push_back(info);
  return all;
}

}  // namespace plughost
