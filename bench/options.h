// What one run of plughost-bench measures and how long it spends on each figure.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "bench/fixture.h"

namespace plughost::bench {

struct BenchOptions {
  Binaries binaries;
  bool smoke = false;
  bool keep_logs = false;  // keep the scratch folder (logs, sockets) for inspection

  // Latency and throughput: every case runs `rounds` times, interleaved with the other cases,
  // so slow drift in the machine's load affects all cases alike. Each run is bounded by
  // `calls` when set, else by `duration`, after a warm-up of `warmup_calls` or `warmup`.
  int rounds = 2;
  std::chrono::milliseconds duration{300};
  std::chrono::milliseconds warmup{100};
  int64_t calls = 0;
  int64_t warmup_calls = 0;
  // When set, only latency cases whose label contains it, and only the soak store whose name
  // contains it: to profile one path.
  std::string only;

  // Discovery: the folder's make-up, the host's probe deadline, how many timed scans.
  int good_sockets = 85;
  int dead_sockets = 10;
  int hung_sockets = 5;
  std::chrono::milliseconds probe_timeout{1000};
  int discovery_runs = 3;

  // Memory: component instances configured, warm-up calls per instance, idle pause.
  int memory_instances = 10;
  int memory_warmup_calls = 200;
  std::chrono::milliseconds memory_idle{2000};

  // Soak: length (0 = not run) and how often RSS is sampled.
  std::chrono::seconds soak{0};
  std::chrono::seconds soak_sample_every{10};
};

}  // namespace plughost::bench
