// plughost-bench: measures the figures of product.md section 3 on this machine, in one run.
// It also re-executes itself as the servers it needs (--serve-echo, --serve-proxy,
// --serve-proxy-h2, --serve-proxy-cq, --serve-discovery).
#include <absl/synchronization/mutex.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "bench/cq_proxy.h"
#include "bench/discovery_bench.h"
#include "bench/fake_servers.h"
#ifdef PLUGHOST_BENCH_NGHTTP2
#include "bench/h2_forwarder.h"
#endif
#include "bench/http_bench.h"
#include "bench/latency_bench.h"
#include "bench/memory_bench.h"
#include "bench/options.h"

namespace plughost::bench {
namespace {

constexpr char kUsage[] = R"(usage: plughost-bench [modes] [flags]

Modes (none given: --latency --discovery --memory --http, about a minute on 2 cores):
  --latency             latency p50/p90/p99 and throughput: bare echo, direct to the sample
                        component, bare proxies (gRPC; nghttp2 client when built with
                        libnghttp2), host -> sample, host built-in Get, SaveState, PublishEvent;
                        1 and 32 in flight, 100 B and 16 KiB; then the section 3 ratios
  --discovery           100 sockets (85 good, 10 dead, 5 hung): plughost components wall
                        clock and the host's own discovery figure
  --memory              host RSS idle with 10 component instances
  --http                the Dapr HTTP API beside gRPC: state get/save (built-in, pluggable)
                        and publish, p50/p99, calls/s and HTTP/gRPC ratios
  --soak MINUTES        sustained load through the host (fractions allowed)
  --smoke               a tiny run of every mode; exits non-zero only if the harness fails

Flags:
  --plughost PATH       host binary (env PLUGHOST_BIN; default <build>/host/app/plughost)
  --sample PATH         sample component (env SAMPLE_COMPONENT_BIN; default <build>/examples/...)
  --rounds N            interleaved rounds per latency case (default 2)
  --duration-ms N       length of each measured run (default 300)
  --warmup-ms N         warm-up before each measured run (default 100)
  --calls N             bound each measured run by calls instead of time
  --warmup-calls N      bound each warm-up by calls instead of time
  --only TEXT           only the latency cases whose name contains TEXT (e.g. to profile
                        one); with --soak, only the store whose name contains TEXT
                        (statestore or bench)
  --probe-timeout MS    discovery probe deadline passed to the host (default 1000)
  --discovery-runs N    timed scans per folder (default 3)
  --keep-logs           keep the scratch folder with every process's log

Environment:
  PLUGHOST_BENCH_ABSL_DEADLOCK_DETECTION=off   the bench's own processes (client, echo, proxy,
                        discovery servers) turn off absl::Mutex deadlock detection, which
                        Debian's abseil leaves on; for experiments (see bench/RESULTS.md)
)";

bool ParseInt(const std::string& text, long long min, long long* out) {
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < min) return false;
  *out = value;
  return true;
}

std::string SelfPath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// A flag, else an environment variable, else the build tree this binary sits in.
std::string Locate(const std::string& given, const char* env, const std::string& self,
                   const std::string& relative) {
  if (!given.empty()) return given;
  if (const char* value = std::getenv(env); value != nullptr && *value != '\0') return value;
  std::string dir = self.substr(0, self.rfind('/'));
  return dir + "/../" + relative;
}

void ApplySmoke(BenchOptions* options) {
  options->rounds = 1;
  options->calls = 100;
  options->warmup_calls = 20;
  options->good_sockets = 3;
  options->dead_sockets = 1;
  options->hung_sockets = 1;
  options->probe_timeout = std::chrono::milliseconds(300);
  options->discovery_runs = 1;
  options->memory_warmup_calls = 20;
  options->memory_idle = std::chrono::milliseconds(200);
  options->soak = std::chrono::seconds(3);
  options->soak_sample_every = std::chrono::seconds(1);
}

// Debian builds abseil without NDEBUG, so absl::Mutex (which gRPC uses everywhere) runs its
// lock-order deadlock detector on every lock, a measurable share of gRPC's CPU here. This
// switch lets the bench's own processes (client and servers, which inherit the environment)
// run without it, to measure what the host would gain by turning it off.
void ApplyDeadlockDetectionSwitch() {
  const char* value = std::getenv("PLUGHOST_BENCH_ABSL_DEADLOCK_DETECTION");
  if (value != nullptr && std::string(value) == "off") {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
}

int Main(int argc, char** argv) {
  ApplyDeadlockDetectionSwitch();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--serve-echo") {
    return ServeEcho(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (!args.empty() && args[0] == "--serve-proxy") {
    if (args.size() != 3) {
      std::fputs("usage: plughost-bench --serve-proxy LISTEN TARGET\n", stderr);
      return 2;
    }
    return ServeProxy(args[1], args[2]);
  }
  if (!args.empty() && args[0] == "--serve-proxy-cq") {
    if (args.size() != 3) {
      std::fputs("usage: plughost-bench --serve-proxy-cq LISTEN TARGET\n", stderr);
      return 2;
    }
    return ServeCqProxy(args[1], args[2]);
  }
  if (!args.empty() && args[0] == "--serve-proxy-h2") {
    if (args.size() != 3) {
      std::fputs("usage: plughost-bench --serve-proxy-h2 LISTEN unix:TARGET\n", stderr);
      return 2;
    }
#ifdef PLUGHOST_BENCH_NGHTTP2
    return ServeH2Proxy(args[1], args[2]);
#else
    std::fputs("plughost-bench: built without libnghttp2\n", stderr);
    return 2;
#endif
  }
  if (!args.empty() && args[0] == "--serve-discovery") {
    long long good = 0, dead = 0, hung = 0;
    if (args.size() != 5 || !ParseInt(args[2], 0, &good) || !ParseInt(args[3], 0, &dead) ||
        !ParseInt(args[4], 0, &hung)) {
      std::fputs("usage: plughost-bench --serve-discovery DIR GOOD DEAD HUNG\n", stderr);
      return 2;
    }
    return ServeDiscoveryFolder(args[1], static_cast<int>(good), static_cast<int>(dead),
                                static_cast<int>(hung));
  }

  BenchOptions options;
  bool latency = false, discovery = false, memory = false, http = false;
  std::string plughost, sample;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    auto number = [&](long long min, long long* out) {
      std::string text;
      return value(&text) && ParseInt(text, min, out);
    };
    long long n = 0;
    std::string text;
    bool ok = true;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--latency") {
      latency = true;
    } else if (arg == "--discovery") {
      discovery = true;
    } else if (arg == "--memory") {
      memory = true;
    } else if (arg == "--http") {
      http = true;
    } else if (arg == "--smoke") {
      options.smoke = true;
    } else if (arg == "--keep-logs") {
      options.keep_logs = true;
    } else if (arg == "--soak") {
      double minutes = 0;
      ok = value(&text) && (minutes = std::strtod(text.c_str(), nullptr)) > 0;
      options.soak = std::chrono::seconds(static_cast<long long>(minutes * 60));
    } else if (arg == "--plughost") {
      ok = value(&plughost);
    } else if (arg == "--sample") {
      ok = value(&sample);
    } else if (arg == "--rounds") {
      ok = number(1, &n);
      options.rounds = static_cast<int>(n);
    } else if (arg == "--duration-ms") {
      ok = number(1, &n);
      options.duration = std::chrono::milliseconds(n);
    } else if (arg == "--warmup-ms") {
      ok = number(0, &n);
      options.warmup = std::chrono::milliseconds(n);
    } else if (arg == "--calls") {
      ok = number(1, &n);
      options.calls = n;
    } else if (arg == "--warmup-calls") {
      ok = number(1, &n);
      options.warmup_calls = n;
    } else if (arg == "--only") {
      ok = value(&options.only);
    } else if (arg == "--probe-timeout") {
      ok = number(1, &n);
      options.probe_timeout = std::chrono::milliseconds(n);
    } else if (arg == "--discovery-runs") {
      ok = number(1, &n);
      options.discovery_runs = static_cast<int>(n);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "plughost-bench: bad or incomplete argument '%s'\n%s", arg.c_str(),
                   kUsage);
      return 2;
    }
  }
  if (options.smoke) {
    ApplySmoke(&options);
    latency = discovery = memory = http = true;
  } else if (!latency && !discovery && !memory && !http && options.soak.count() == 0) {
    latency = discovery = memory = http = true;
  }

  options.binaries.self = SelfPath();
  options.binaries.plughost =
      Locate(plughost, "PLUGHOST_BIN", options.binaries.self, "host/app/plughost");
  options.binaries.sample = Locate(sample, "SAMPLE_COMPONENT_BIN", options.binaries.self,
                                   "examples/components/cpp/plughost-sample-component");
  // Optional: the grpc-go reference hop, built by `make bench` (bench/gohop/build.sh).
  options.binaries.gohop =
      Locate("", "PLUGHOST_GOHOP_BIN", options.binaries.self, "bench/gohop/plughost-gohop");
  if (::access(options.binaries.gohop.c_str(), X_OK) != 0) options.binaries.gohop.clear();
  for (const std::string* binary :
       {&options.binaries.self, &options.binaries.plughost, &options.binaries.sample}) {
    if (::access(binary->c_str(), X_OK) != 0) {
      std::fprintf(stderr, "plughost-bench: cannot run '%s' (build it, or pass its path)\n",
                   binary->c_str());
      return 2;
    }
  }

  std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  fmt::print("plughost-bench {}{}\n  host {}\n  sample {}\n\n", date,
             options.smoke ? " (smoke: figures are not meaningful)" : "", options.binaries.plughost,
             options.binaries.sample);
  std::fflush(stdout);

  bool ok = true;
  auto run = [&](bool enabled, bool (*mode)(const BenchOptions&)) {
    if (!enabled) return;
    ok = mode(options) && ok;
    fmt::print("\n");
    std::fflush(stdout);
  };
  run(latency, RunLatencyBench);
  run(discovery, RunDiscoveryBench);
  run(memory, RunMemoryBench);
  run(http, RunHttpBench);
  run(options.soak.count() > 0, RunSoak);
  if (!ok) {
    std::fputs("plughost-bench: the harness failed (see messages above)\n", stderr);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace plughost::bench

int main(int argc, char** argv) { return plughost::bench::Main(argc, argv); }
