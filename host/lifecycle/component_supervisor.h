// Keeps pluggable components serving through churn, on one thread of its own:
//  - hot-plug: watches the socket folder (inotify); a new socket is probed and gets an
//    automatic instance named after it; a socket that comes back restores its instances;
//  - removal: a socket that disappears marks its instances unavailable at once;
//  - health: every instance is pinged on an interval under its own deadline. A failed Ping
//    whose socket has nobody listening any more marks the instance unavailable at once (the
//    connection is lost); a failed Ping of a component still listening only counts, and after
//    `ping_failure_threshold` in a row /readyz reports it while its calls keep being served;
//  - recovery: an unavailable instance whose socket listens again is initialised again (same
//    metadata) before it takes calls, retried with backoff while Init fails. A slow Ping never
//    leads to a second Init of a process that never went away.
// The API never waits on any of this: it reads each instance's InstanceHealth.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "host/discovery/discovery.h"
#include "host/registry/component_factory.h"
#include "host/registry/instance_table.h"

namespace plughost {

using SocketFactoryMaker =
    std::function<std::vector<std::unique_ptr<ComponentFactory>>(const DiscoveredSocket&)>;

struct SupervisorOptions {
  std::string sockets_dir;
  std::chrono::milliseconds ping_interval{1000};
  std::chrono::milliseconds ping_timeout{2000};
  int ping_failure_threshold = 3;
  // The uid every component socket must be served by; unset: the uid that served each socket
  // when the supervisor first saw it (else the socket file's owner). A socket served by
  // another uid gets no Init (its metadata may hold secrets).
  std::optional<uid_t> expected_peer_uid;
  std::chrono::milliseconds probe_timeout{2000};
  std::chrono::milliseconds init_timeout{5000};
  std::chrono::milliseconds max_backoff{5000};
  // Called for every instance created after startup (hot-plug), e.g. to compute key prefixes.
  std::function<void(InstanceInfo&)> prepare_instance;
  // Called (on the supervisor's thread) once an instance created after startup takes calls.
  std::function<void(ComponentKind, const std::string&)> instance_added;
};

struct SupervisorCounters {
  std::atomic<uint64_t> sockets_added{0};
  std::atomic<uint64_t> sockets_removed{0};
  std::atomic<uint64_t> recoveries{0};
  std::atomic<uint64_t> failed_reinits{0};
  std::atomic<uint64_t> failed_pings{0};
};

class ComponentSupervisor {
 public:
  ComponentSupervisor(SupervisorOptions options, InstanceTable* instances,
                      SocketFactoryMaker make_factories);
  ~ComponentSupervisor();

  // Starts watching; returns false (with a log line) if the folder cannot be watched, in which
  // case health checks and recovery still run.
  bool Start();
  void Stop();

  // Lists the folder once more now that the watch is set, and probes every socket not in
  // `known` (those startup discovery saw): a socket created between the startup scan and the
  // watch is registered, not missed.
  void RescanAfterStartup(std::set<std::string> known);

  // Sockets that did not answer startup discovery in time: each gets one more probe, under the
  // full probe deadline, and joins like a hot-plugged socket if it answers.
  void ProbeInBackground(const std::vector<std::string>& paths);

  const SupervisorCounters& counters() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plughost
