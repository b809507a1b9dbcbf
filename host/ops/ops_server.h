// The operator endpoints, over plain HTTP on their own thread:
//   GET /healthz  200 while the process is alive
//   GET /readyz   200 when every component instance takes calls and every launched process
//                 runs (or ended as its restart policy allows), else 503 naming the others
//                 (`?verbose` adds each one's reason, sanitised: readiness.h)
//   GET /metrics  Prometheus text format (see metrics.h)
// Served by the same HTTP core as the Dapr HTTP API (host/http/http_server.h), with shorter
// header and idle timeouts and a bound on connections, so slow clients cannot stall probes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "host/ops/metrics.h"
#include "host/processes/process_status.h"

namespace plughost {

class InstanceTable;
struct SupervisorCounters;

// Connections the ops port holds at once; beyond it a new one gets 503 and is closed.
inline constexpr size_t kOpsMaxConnections = 512;

class OpsServer {
 public:
  struct Sources {
    const InstanceTable* instances = nullptr;
    const Metrics* metrics = nullptr;
    // May return null (no supervisor yet).
    std::function<const SupervisorCounters*()> supervisor;
    // The processes the host launched; unset when it launches none.
    std::function<std::vector<ProcessStatus>()> processes;
  };

  // Binds `address` ("host:port"; port 0 picks one) and starts serving.
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(const std::string& address,
                                                          Sources sources);
  ~OpsServer();

  // The bound "host:port".
  const std::string& address() const;

 private:
  class Impl;
  explicit OpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace plughost
