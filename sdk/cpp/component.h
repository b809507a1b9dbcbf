// What every kind of component has in common: Init with the component's metadata, the feature
// list, a health check, and where its methods run. The kind bases (lock.h, sequencer.h,
// output_binding.h, configuration_store.h, pubsub.h) derive from it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "sdk/cpp/worker_pool.h"

namespace plughost::sdk {

// Init metadata: the component entry's "metadata" in the host's config, values as text.
using Metadata = std::map<std::string, std::string>;

class Component {
 public:
  virtual ~Component() = default;

  // Called when the host creates the instance, and again whenever it re-initialises it. A
  // non-OK status fails the instance. Default: accept.
  virtual grpc::Status Init(const Metadata& metadata);
  // Feature strings the kind defines (e.g. pub/sub "BULK_PUBSUB"). Default: none.
  virtual std::vector<std::string> Features();
  // Health check: the host calls it every second or so. Default: OK.
  virtual grpc::Status Ping();

  // Where the SDK runs this component's methods. Null (the default): inline on gRPC's callback
  // threads, so methods must not block. A component whose calls wait on a backend returns a
  // pool it owns: every method then runs there, on a copy of its request, and may block.
  virtual WorkerPool* workers() { return nullptr; }
};

}  // namespace plughost::sdk
