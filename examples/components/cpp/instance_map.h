// Per-instance multiplexing: one component process serves every instance the host configures on
// its socket, and tells them apart by the x-component-instance header the host (or daprd) adds
// to every call.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include <grpcpp/server_context.h>

namespace plughost::sample {

inline constexpr char kInstanceHeader[] = "x-component-instance";
// Used when a caller sends no header (e.g. a hand-written client). '#' cannot appear in a
// component name, so it never collides with a configured instance.
inline constexpr char kDefaultInstance[] = "#default";

// The instance a call is addressed to.
inline std::string InstanceNameOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kInstanceHeader);
  if (it == metadata.end() || it->second.empty()) return kDefaultInstance;
  return std::string(it->second.data(), it->second.size());
}

// Instances by name, created on first use: daprd never calls Init again after a component
// restarts, so a call for an unknown instance must still find (an un-initialised) one.
// Instances are never removed; the protocol has no Close.
template <typename Instance>
class InstanceMap {
 public:
  std::shared_ptr<Instance> GetOrCreate(const std::string& name) {
    {
      std::shared_lock lock(mutex_);
      auto it = instances_.find(name);
      if (it != instances_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    auto [it, inserted] = instances_.try_emplace(name);
    if (inserted) it->second = std::make_shared<Instance>();
    return it->second;
  }

  std::shared_ptr<Instance> For(const grpc::ServerContextBase& context) {
    return GetOrCreate(InstanceNameOf(context));
  }

 private:
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Instance>> instances_;
};

}  // namespace plughost::sample
