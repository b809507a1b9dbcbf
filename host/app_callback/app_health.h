// The app health probe (--enable-app-health-check), with daprd's semantics (pkg/apphealth):
// the app starts unhealthy; it is probed at once, then every `interval`, each probe bounded by
// `timeout`; one successful probe makes it healthy, `threshold` failed probes in a row make it
// unhealthy. `on_change(healthy)` is called on each change (the first healthy probe included),
// from the monitor's own thread, one call at a time: it may block (the host stops deliveries
// there), and no lock is held while it runs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace plughost {

class AppChannel;

struct AppHealthOptions {
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds timeout{500};
  int threshold = 3;
};

// One probe: calls `done(healthy)` exactly once, from any thread, without blocking.
using AppHealthProbe =
    std::function<void(std::chrono::milliseconds timeout, std::function<void(bool)> done)>;

// A gRPC app's probe: AppCallbackHealthCheck/HealthCheck, any OK answer is healthy.
AppHealthProbe GrpcAppHealthProbe(std::shared_ptr<AppChannel> channel);

class AppHealthMonitor {
 public:
  AppHealthMonitor(AppHealthOptions options, AppHealthProbe probe,
                   std::function<void(bool healthy)> on_change);
  ~AppHealthMonitor();  // Stop()

  void Start();
  // Ends probing; waits for a change being handled. No on_change call after it returns.
  void Stop();

 private:
  void Run();
  bool ProbeOnce();  // waits for the probe's answer (a lost answer counts as a failure)

  const AppHealthOptions options_;
  const AppHealthProbe probe_;
  const std::function<void(bool)> on_change_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace plughost
