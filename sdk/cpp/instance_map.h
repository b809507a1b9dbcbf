// Per-instance multiplexing: one component process serves every instance a host configures on
// its socket, and tells them apart by the x-component-instance header the host (or daprd) adds
// to every call. InstanceMap keeps one implementation object per header value.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include <grpcpp/server_context.h>

namespace plughost::sdk {

inline constexpr char kInstanceHeader[] = "x-component-instance";
// The instance of calls that carry no header (e.g. a hand-written client). '#' cannot appear in
// a component name, so it never collides with a configured instance.
inline constexpr char kDefaultInstance[] = "#default";

// The instance a call is addressed to.
inline std::string InstanceNameOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kInstanceHeader);
  if (it == metadata.end() || it->second.empty()) return kDefaultInstance;
  return std::string(it->second.data(), it->second.size());
}

// Instances by name, created by the first call that names one, usually Init. A call for an
// instance never initialised still gets an (un-initialised) object, because daprd does not call
// Init again after a component restarts. Instances are never removed: the protocols have no
// Close. Thread-safe; lookups of existing instances share a read lock.
template <typename Instance>
class InstanceMap {
 public:
  using Factory = std::function<std::shared_ptr<Instance>()>;

  InstanceMap() : factory_([] { return std::make_shared<Instance>(); }) {}
  explicit InstanceMap(Factory factory) : factory_(std::move(factory)) {}

  std::shared_ptr<Instance> GetOrCreate(const std::string& name) {
    {
      std::shared_lock lock(mutex_);
      auto it = instances_.find(name);
      if (it != instances_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    auto [it, inserted] = instances_.try_emplace(name);
    if (inserted) it->second = factory_();
    return it->second;
  }

  // The instance `context`'s call is addressed to.
  std::shared_ptr<Instance> For(const grpc::ServerContextBase& context) {
    return GetOrCreate(InstanceNameOf(context));
  }

  size_t size() const {
    std::shared_lock lock(mutex_);
    return instances_.size();
  }

 private:
  Factory factory_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Instance>> instances_;
};

}  // namespace plughost::sdk
