// Keeps pluggable components serving through churn, on one thread of its own:
//  - hot-plug: watches the socket folder (inotify); a new socket is probed and gets an
//    automatic instance named after it; a socket that comes back restores its instances;
//  - removal: a socket that disappears marks its instances unavailable at once;
//  - health: every instance is pinged on an interval; a failed Ping marks it unavailable;
//  - recovery: an unavailable instance whose socket is back is initialised again (same
//    metadata) before it takes calls, retried with capped backoff while Init fails.
// The API never waits on any of this: it reads each instance's InstanceHealth.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
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

  // Sockets that did not answer startup discovery in time: each gets one more probe, under the
  // full probe deadline, and joins like a hot-plugged socket if it answers.
  void ProbeInBackground(const std::vector<std::string>& paths);

  const SupervisorCounters& counters() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plughost
