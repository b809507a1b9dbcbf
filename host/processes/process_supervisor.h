// Runs the component processes the configuration declares (`processes`) and keeps them
// running, all on one thread of its own (an epoll loop):
//  - start: each child is forked from that thread, in its own process group, with SIGKILL as
//    its parent-death signal, so a killed host takes its children with it;
//  - output: stdout and stderr are read from non-blocking pipes, cut into lines of bounded
//    length and logged under the scope "process/<name>"; a fast writer never blocks the host;
//  - exit: the status or signal is logged, a stale socket is removed, and the child is started
//    again as its restart policy says, after a capped, jittered backoff (common/backoff.h);
//  - stop: SIGTERM to every child's group, up to a grace period, then SIGKILL; every child is
//    reaped before Stop returns.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/backoff.h"
#include "host/config/host_config.h"
#include "host/processes/process_status.h"

namespace plughost {

struct ProcessSupervisorOptions {
  std::string sockets_dir;  // made absolute before it reaches a child
  Backoff::Options restart_backoff{std::chrono::milliseconds(100), 1.6, 0.2,
                                   std::chrono::milliseconds(10000)};
  // A child that ran this long before it ended restarts after the initial wait again.
  std::chrono::milliseconds stable_after{10000};
  size_t max_line_bytes = 16384;
};

class ProcessSupervisor {
 public:
  ProcessSupervisor(std::vector<ProcessSpec> specs, ProcessSupervisorOptions options);
  ~ProcessSupervisor();  // Stop with no grace when still running
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  // Starts the loop and every child; returns once each has been started or has failed to
  // start (a failure is retried like an exit). An error only when the loop cannot run.
  absl::Status Start();

  // SIGTERM to every child, SIGKILL to those still running after `grace`, reaps them all and
  // ends the loop. Idempotent; blocks until done.
  void Stop(std::chrono::milliseconds grace);

  // The current status of every declared process, in declaration order. Thread safe.
  std::vector<ProcessStatus> Snapshot() const;

  // The socket path each declared process is expected to serve on.
  std::string SocketPathOf(const std::string& name) const;
  const std::string& sockets_dir() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plughost
