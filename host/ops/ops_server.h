// The operator endpoints, over plain HTTP on their own thread:
//   GET /healthz  200 while the process is alive
//   GET /readyz   200 when every component instance takes calls and every launched process
//                 runs (or ended as its restart policy allows), else 503 naming the others
//   GET /metrics  Prometheus text format (see metrics.h)
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "host/ops/metrics.h"
#include "host/processes/process_status.h"

namespace plughost {

class InstanceTable;
struct SupervisorCounters;

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
  explicit OpsServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace plughost
