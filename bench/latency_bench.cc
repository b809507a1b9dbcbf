#include "bench/latency_bench.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/calls.h"
#include "bench/fixture.h"
#include "bench/load.h"
#include "bench/process.h"

namespace plughost::bench {
namespace {

constexpr size_t kSmallValue = 100;
constexpr size_t kLargeValue = 16 * 1024;
constexpr size_t kValueSizes[] = {kSmallValue, kLargeValue};
constexpr int kInFlight[] = {1, 32};
// The sample's socket is bench.sock, so the host names its instance (and store) "bench".
constexpr char kPluggableStore[] = "bench";
constexpr char kBuiltinStore[] = "statestore";
constexpr char kPubSub[] = "pubsub";

enum class Path {
  kEcho,
  kDirect,
  kProxy,
  kProxyH2,  // the same proxy, its component side on nghttp2 (issue 16 experiment)
  kProxyCq,  // the same proxy on gRPC's completion-queue API (issue 16 experiment)
  kGoHop,
  kHostPluggable,
  kHostBuiltin,
  kHostSave,
  kHostPublish
};

// One line of the table for each in-flight count and value size.
struct Row {
  Row(Path path, Transport app_transport, std::string label,
      std::function<SlotFactory(size_t size)> make)
      : path(path), app_transport(app_transport), label(std::move(label)), make(std::move(make)) {}

  Path path;
  Transport app_transport;  // how the caller reaches the first hop
  std::string label;
  std::function<SlotFactory(size_t size)> make;
  std::string skipped;  // why this row is not measured; empty when it is
  int hop_pid = 0;      // the process the caller talks to, whose CPU time is charged per call
};

// CPU time (user + system, all threads) a process has used so far; 0 if unreadable. Ticks of
// 10 ms: a measured run of a few hundred ms at full load keeps the error to a few percent.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');  // the command name may hold spaces; fields follow it
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Combo {
  int in_flight;
  size_t size;
};

std::string SizeName(size_t size) {
  return size >= 1024 ? fmt::format("{} KiB", size / 1024) : fmt::format("{} B", size);
}

class LatencyBench {
 public:
  explicit LatencyBench(const BenchOptions& options)
      : options_(options), fixture_(options.binaries, &dir_) {}

  bool Run() {
    if (!dir_.ok()) return Fail("cannot create a scratch folder under /tmp");
    if (options_.keep_logs) dir_.Keep();
    if (!StartProcesses() || !PreSave()) return false;
    DefineRows();
    for (int in_flight : kInFlight) {
      for (size_t size : kValueSizes) combos_.push_back({in_flight, size});
    }
    results_.assign(rows_.size(), std::vector<LoadResult>(combos_.size()));
    hop_cpu_.assign(rows_.size(), std::vector<double>(combos_.size()));
    hop_calls_.assign(rows_.size(), std::vector<int64_t>(combos_.size()));

    fmt::print(
        "latency: {} round(s) per case, each {} after a warm-up of {}; machine: {} CPU(s), "
        "load average {:.2f}\n",
        options_.rounds, Bound(options_.calls, options_.duration),
        Bound(options_.warmup_calls, options_.warmup), std::thread::hardware_concurrency(),
        LoadAverage());
    std::fflush(stdout);
    for (int round = 0; round < options_.rounds; ++round) {
      for (size_t c = 0; c < combos_.size(); ++c) {
        for (size_t r = 0; r < rows_.size(); ++r) {
          if (rows_[r].skipped.empty()) Measure(r, c);
        }
      }
    }
    PrintTable();
    PrintRatios();
    fmt::print("load average after: {:.2f}\n", LoadAverage());
    if (options_.keep_logs) fmt::print("logs kept in {}\n", dir_.path());
    return harness_ok_;
  }

 private:
  static std::string Bound(int64_t calls, std::chrono::milliseconds duration) {
    return calls > 0 ? fmt::format("{} calls", calls) : fmt::format("{} ms", duration.count());
  }

  bool Fail(const std::string& message) {
    fmt::print(stderr, "latency: harness failure: {}\n", message);
    harness_ok_ = false;
    return false;
  }

  bool StartProcesses() {
    sockets_dir_ = dir_.File("sockets");
    if (!MakeDir(sockets_dir_)) return Fail("cannot create " + sockets_dir_);
    std::string sample_socket = sockets_dir_ + "/" + kPluggableStore + ".sock";
    sample_ = fixture_.StartSample(sample_socket);
    if (!sample_) return Fail(fixture_.error());
    echo_tcp_address_ = "127.0.0.1:" + std::to_string(FreeTcpPort());
    echo_ = fixture_.StartEcho({"unix:" + dir_.File("echo.sock"), echo_tcp_address_});
    if (!echo_.process) return Fail(fixture_.error());
    // For reference: what the least callback-API proxy (bytes forwarded, nothing parsed) costs.
    proxy_ = fixture_.StartProxy("unix:" + dir_.File("proxy.sock"), "unix:" + sample_socket);
    if (!proxy_.process) return Fail(fixture_.error());
#ifdef PLUGHOST_BENCH_NGHTTP2
    // The same, with an nghttp2 client in place of the gRPC channel on the component side.
    proxy_h2_ = fixture_.StartProxy("unix:" + dir_.File("proxy-h2.sock"), "unix:" + sample_socket,
                                    Fixture::ProxyKind::kNghttp2);
    if (!proxy_h2_.process) return Fail(fixture_.error());
    via_proxy_h2_ = Connect(proxy_h2_.target);
#endif
    // The same on gRPC's completion-queue API: no hand-offs between threads inside a call.
    proxy_cq_ = fixture_.StartProxy("unix:" + dir_.File("proxy-cq.sock"), "unix:" + sample_socket,
                                    Fixture::ProxyKind::kCompletionQueue);
    if (!proxy_cq_.process) return Fail(fixture_.error());
    via_proxy_cq_ = Connect(proxy_cq_.target);
    // Two hosts on the same socket folder: one serving apps on a unix socket, one on TCP, so
    // each is compared with the echo over the same transport.
    host_unix_ = fixture_.StartHost("host-unix", sockets_dir_, Transport::kUnix);
    if (!host_unix_.process) return Fail(fixture_.error());
    host_tcp_ = fixture_.StartHost("host-tcp", sockets_dir_, Transport::kTcp);
    if (!host_tcp_.process) return Fail(fixture_.error());
    // The peers' technology on the same component: a grpc-go hop doing daprd's GetState work.
    if (!fixture_.binaries().gohop.empty()) {
      gohop_unix_ =
          fixture_.StartGoHop("unix:" + dir_.File("gohop.sock"), sample_socket, kPluggableStore);
      if (!gohop_unix_.process) return Fail(fixture_.error());
      gohop_tcp_ = fixture_.StartGoHop("127.0.0.1:" + std::to_string(FreeTcpPort()), sample_socket,
                                       kPluggableStore);
      if (!gohop_tcp_.process) return Fail(fixture_.error());
      via_gohop_unix_ = Connect(gohop_unix_.target);
      via_gohop_tcp_ = Connect(gohop_tcp_.target);
    }

    echo_unix_ = Connect(echo_.target);
    echo_tcp_ = Connect(echo_tcp_address_);
    direct_ = Connect("unix:" + sample_socket);
    via_proxy_ = Connect(proxy_.target);
    via_unix_ = Connect(host_unix_.target);
    via_tcp_ = Connect(host_tcp_.target);
    return true;
  }

  // Every key a Get reads exists before timing starts, on every path.
  bool PreSave() {
    for (size_t size : kValueSizes) {
      std::string value(size, 'x');
      std::string key = ValueKey(size);
      struct Step {
        std::string what;
        SlotFactory call;
      } steps[] = {
          {"direct Set", ComponentSet(direct_.state_store.get(), key, value)},
          {"host(unix) save to bench",
           DaprSaveState(via_unix_.dapr.get(), kPluggableStore, key, value, false)},
          {"host(unix) save to statestore",
           DaprSaveState(via_unix_.dapr.get(), kBuiltinStore, key, value, false)},
          {"host(tcp) save to statestore",
           DaprSaveState(via_tcp_.dapr.get(), kBuiltinStore, key, value, false)},
      };
      for (const auto& step : steps) {
        grpc::Status status = CallOnce(step.call);
        if (!status.ok()) return Fail(step.what + " failed: " + status.error_message());
      }
    }
    return true;
  }

  void DefineRows() {
    auto get = [](rt::Dapr::Stub* stub, const std::string& store) {
      return [stub, store](size_t size) { return DaprGetState(stub, store, ValueKey(size), size); };
    };
    auto save = [](rt::Dapr::Stub* stub) {
      return [stub](size_t size) {
        return DaprSaveState(stub, kBuiltinStore, "save-" + std::to_string(size),
                             std::string(size, 's'), true);
      };
    };
    auto publish = [](rt::Dapr::Stub* stub) {
      return [stub](size_t size) {
        return DaprPublishEvent(stub, kPubSub, "bench", std::string(size, 'p'));
      };
    };
    auto* direct = direct_.state_store.get();
    auto* proxied = via_proxy_.state_store.get();
    auto* proxied_h2 = via_proxy_h2_.state_store.get();
    auto* proxied_cq = via_proxy_cq_.state_store.get();
    rows_ = {
        {Path::kEcho, Transport::kUnix, "bare echo GetState (floor)",
         get(echo_unix_.dapr.get(), kBuiltinStore)},
        {Path::kEcho, Transport::kTcp, "bare echo GetState (floor)",
         get(echo_tcp_.dapr.get(), kBuiltinStore)},
        {Path::kDirect, Transport::kUnix, "direct Get -> sample",
         [direct](size_t size) { return ComponentGet(direct, ValueKey(size), size); }},
        {Path::kProxy, Transport::kUnix, "bare proxy -> sample Get",
         [proxied](size_t size) { return ComponentGet(proxied, ValueKey(size), size); }},
        {Path::kProxyH2, Transport::kUnix, "bare proxy (nghttp2 client) -> sample Get",
         [proxied_h2](size_t size) { return ComponentGet(proxied_h2, ValueKey(size), size); }},
        {Path::kProxyCq, Transport::kUnix, "bare proxy (completion queue) -> sample Get",
         [proxied_cq](size_t size) { return ComponentGet(proxied_cq, ValueKey(size), size); }},
        {Path::kGoHop, Transport::kUnix, "grpc-go hop (daprd-like)",
         get(via_gohop_unix_.dapr.get(), kPluggableStore)},
        {Path::kGoHop, Transport::kTcp, "grpc-go hop (daprd-like)",
         get(via_gohop_tcp_.dapr.get(), kPluggableStore)},
        {Path::kHostPluggable, Transport::kUnix, "host -> sample GetState",
         get(via_unix_.dapr.get(), kPluggableStore)},
        {Path::kHostPluggable, Transport::kTcp, "host -> sample GetState",
         get(via_tcp_.dapr.get(), kPluggableStore)},
        {Path::kHostBuiltin, Transport::kUnix, "host built-in GetState",
         get(via_unix_.dapr.get(), kBuiltinStore)},
        {Path::kHostBuiltin, Transport::kTcp, "host built-in GetState",
         get(via_tcp_.dapr.get(), kBuiltinStore)},
        {Path::kHostSave, Transport::kUnix, "host built-in SaveState", save(via_unix_.dapr.get())},
        {Path::kHostSave, Transport::kTcp, "host built-in SaveState", save(via_tcp_.dapr.get())},
        {Path::kHostPublish, Transport::kUnix, "host PublishEvent pubsub",
         publish(via_unix_.dapr.get())},
        {Path::kHostPublish, Transport::kTcp, "host PublishEvent pubsub",
         publish(via_tcp_.dapr.get())},
    };
    for (auto& row : rows_) {
      switch (row.path) {
        case Path::kEcho:
          row.hop_pid = echo_.process->pid();
          break;
        case Path::kDirect:
          row.hop_pid = sample_->pid();
          break;
        case Path::kProxy:
          row.hop_pid = proxy_.process->pid();
          break;
        case Path::kProxyCq:
          row.hop_pid = proxy_cq_.process->pid();
          break;
        case Path::kProxyH2:
          if (proxy_h2_.process) {
            row.hop_pid = proxy_h2_.process->pid();
          } else {
            row.skipped = "built without libnghttp2";
          }
          break;
        case Path::kGoHop: {
          auto& hop = row.app_transport == Transport::kUnix ? gohop_unix_ : gohop_tcp_;
          if (hop.process) {
            row.hop_pid = hop.process->pid();
          } else {
            row.skipped =
                "grpc-go hop not built (make bench builds it with bench/gohop/build.sh; "
                "needs golang-go, golang-google-grpc-dev, protoc-gen-go, protoc-gen-go-grpc)";
          }
          break;
        }
        default:
          row.hop_pid =
              (row.app_transport == Transport::kUnix ? host_unix_ : host_tcp_).process->pid();
      }
    }
    if (!options_.only.empty()) {
      std::erase_if(rows_, [&](const Row& row) {
        return row.label.find(options_.only) == std::string::npos;
      });
    }
    // Pub/sub may not exist in this build of the host: probe once and skip its rows if so.
    for (auto& row : rows_) {
      if (row.path != Path::kHostPublish) continue;
      grpc::Status status = CallOnce(row.make(kSmallValue));
      if (!status.ok()) row.skipped = status.error_message();
    }
  }

  void Measure(size_t r, size_t c) {
    const Combo& combo = combos_[c];
    SlotFactory factory = rows_[r].make(combo.size);
    LoadSpec warm;
    warm.in_flight = combo.in_flight;
    warm.max_calls = options_.warmup_calls;
    warm.duration = options_.warmup_calls > 0 ? std::chrono::milliseconds(0) : options_.warmup;
    LoadResult warm_result = RunLoad(warm, factory);
    LoadSpec spec = warm;
    spec.max_calls = options_.calls;
    spec.duration = options_.calls > 0 ? std::chrono::milliseconds(0) : options_.duration;
    double cpu_before = ProcessCpuSeconds(rows_[r].hop_pid);
    LoadResult result = RunLoad(spec, factory);
    hop_cpu_[r][c] += ProcessCpuSeconds(rows_[r].hop_pid) - cpu_before;
    hop_calls_[r][c] += result.calls;
    // Warm-up failures are failures too, but their latencies are not kept.
    result.errors += warm_result.errors;
    if (result.first_error.empty()) result.first_error = warm_result.first_error;
    if (result.errors > 0) {
      Fail(fmt::format("{} ({}): {} failed call(s), first: {}", rows_[r].label,
                       TransportName(rows_[r].app_transport), result.errors, result.first_error));
    }
    results_[r][c].Merge(std::move(result));
  }

  std::optional<LatencySummary> Find(Path path, Transport transport, int in_flight, size_t size) {
    for (size_t r = 0; r < rows_.size(); ++r) {
      if (rows_[r].path != path || rows_[r].app_transport != transport) continue;
      if (!rows_[r].skipped.empty()) return std::nullopt;
      for (size_t c = 0; c < combos_.size(); ++c) {
        if (combos_[c].in_flight == in_flight && combos_[c].size == size) {
          if (summaries_[r][c].calls == 0) return std::nullopt;
          return summaries_[r][c];
        }
      }
    }
    return std::nullopt;
  }

  void PrintTable() {
    summaries_.assign(rows_.size(), std::vector<LatencySummary>(combos_.size()));
    size_t width = 28;
    for (const Row& row : rows_) width = std::max(width, row.label.size());
    fmt::print("\n{:<{}} {:<9} {:>9} {:>7} {:>8} {:>6} {:>9} {:>9} {:>9} {:>10} {:>11}\n", "case",
               width, "app side", "in flight", "value", "calls", "errors", "p50 us", "p90 us",
               "p99 us", "calls/s", "hop CPU us");
    for (size_t c = 0; c < combos_.size(); ++c) {
      for (size_t r = 0; r < rows_.size(); ++r) {
        const Row& row = rows_[r];
        std::string head = fmt::format("{:<{}} {:<9} {:>9} {:>7}", row.label, width,
                                       TransportName(row.app_transport), combos_[c].in_flight,
                                       SizeName(combos_[c].size));
        if (!row.skipped.empty()) {
          fmt::print("{} skipped: {}\n", head, row.skipped);
          continue;
        }
        LatencySummary s = Summarize(results_[r][c]);
        summaries_[r][c] = s;
        double hop_cpu_us =
            hop_calls_[r][c] > 0 ? hop_cpu_[r][c] * 1e6 / static_cast<double>(hop_calls_[r][c]) : 0;
        fmt::print("{} {:>8} {:>6} {:>9.1f} {:>9.1f} {:>9.1f} {:>10.0f} {:>11.1f}\n", head, s.calls,
                   s.errors, s.p50_us, s.p90_us, s.p99_us, s.calls_per_second, hop_cpu_us);
      }
      fmt::print("\n");
    }
  }

  // One §3 figure: numerator ÷ denominator, judged against its goal only when both exist.
  void PrintRatio(const std::string& name, std::optional<double> num, std::optional<double> den,
                  double goal, bool at_most) {
    std::string verdict = "not measured";
    std::string value = "-";
    if (num && den && *den > 0) {
      double ratio = *num / *den;
      value = fmt::format("{:.3f}", ratio);
      bool met = at_most ? ratio <= goal : ratio >= goal;
      verdict = met ? "met" : "NOT met";
    }
    fmt::print("  {:<62} {:>6}   goal {} {:.2f}: {}\n", name, value, at_most ? "<=" : ">=", goal,
               verdict);
  }

  void PrintRatios() {
    auto p50 = [](std::optional<LatencySummary> s) -> std::optional<double> {
      if (!s) return std::nullopt;
      return s->p50_us;
    };
    auto rate = [](std::optional<LatencySummary> s) -> std::optional<double> {
      if (!s) return std::nullopt;
      return s->calls_per_second;
    };
    fmt::print(
        "product.md section 3 ratios (same run; latency at 1 in flight, throughput at 32):\n");
    for (size_t size : kValueSizes) {
      for (Transport t : {Transport::kUnix, Transport::kTcp}) {
        PrintRatio(fmt::format("p50 host->pluggable Get / p50 direct Get, app->host {}, {}",
                               TransportName(t), SizeName(size)),
                   p50(Find(Path::kHostPluggable, t, 1, size)),
                   p50(Find(Path::kDirect, Transport::kUnix, 1, size)), 2.2, true);
      }
    }
    auto reference = [](const std::string& name, std::optional<double> num,
                        std::optional<double> den) {
      if (num && den && *den > 0) {
        fmt::print("  {:<62} {:>6.3f}   (reference, not a goal)\n", name, *num / *den);
      }
    };
    for (size_t size : kValueSizes) {
      auto direct = p50(Find(Path::kDirect, Transport::kUnix, 1, size));
      reference(fmt::format("p50 bare proxy->sample Get / p50 direct Get, {}", SizeName(size)),
                p50(Find(Path::kProxy, Transport::kUnix, 1, size)), direct);
      reference(fmt::format("p50 bare h2 proxy->sample Get / p50 direct Get, {}", SizeName(size)),
                p50(Find(Path::kProxyH2, Transport::kUnix, 1, size)), direct);
      reference(fmt::format("p50 bare cq proxy->sample Get / p50 direct Get, {}", SizeName(size)),
                p50(Find(Path::kProxyCq, Transport::kUnix, 1, size)), direct);
    }
    for (size_t size : kValueSizes) {
      for (Transport t : {Transport::kUnix, Transport::kTcp}) {
        PrintRatio(fmt::format("p50 host built-in Get / p50 bare echo, both over {}, {}",
                               TransportName(t), SizeName(size)),
                   p50(Find(Path::kHostBuiltin, t, 1, size)), p50(Find(Path::kEcho, t, 1, size)),
                   1.15, true);
      }
    }
    for (size_t size : kValueSizes) {
      for (Transport t : {Transport::kUnix, Transport::kTcp}) {
        PrintRatio(fmt::format("p50 host->pluggable Get / p50 grpc-go hop, app over {}, {}",
                               TransportName(t), SizeName(size)),
                   p50(Find(Path::kHostPluggable, t, 1, size)), p50(Find(Path::kGoHop, t, 1, size)),
                   0.6, true);
        PrintRatio(fmt::format("throughput host->pluggable / grpc-go hop, app over {}, {}",
                               TransportName(t), SizeName(size)),
                   rate(Find(Path::kHostPluggable, t, 32, size)),
                   rate(Find(Path::kGoHop, t, 32, size)), 1.5, false);
      }
    }
    for (size_t size : kValueSizes) {
      auto direct = rate(Find(Path::kDirect, Transport::kUnix, 32, size));
      reference(fmt::format("throughput bare proxy->sample / direct, {}", SizeName(size)),
                rate(Find(Path::kProxy, Transport::kUnix, 32, size)), direct);
      reference(fmt::format("throughput bare h2 proxy->sample / direct, {}", SizeName(size)),
                rate(Find(Path::kProxyH2, Transport::kUnix, 32, size)), direct);
      reference(fmt::format("throughput bare cq proxy->sample / direct, {}", SizeName(size)),
                rate(Find(Path::kProxyCq, Transport::kUnix, 32, size)), direct);
    }
    for (size_t size : kValueSizes) {
      for (Transport t : {Transport::kUnix, Transport::kTcp}) {
        PrintRatio(fmt::format("throughput host->pluggable / direct, app->host {}, {}",
                               TransportName(t), SizeName(size)),
                   rate(Find(Path::kHostPluggable, t, 32, size)),
                   rate(Find(Path::kDirect, Transport::kUnix, 32, size)), 0.45, false);
      }
    }
    // Publishing an event should cost about what saving the same bytes does (issue 16).
    for (Transport t : {Transport::kUnix, Transport::kTcp}) {
      PrintRatio(fmt::format("p50 PublishEvent / p50 built-in SaveState, {}, {}", TransportName(t),
                             SizeName(kLargeValue)),
                 p50(Find(Path::kHostPublish, t, 1, kLargeValue)),
                 p50(Find(Path::kHostSave, t, 1, kLargeValue)), 1.3, true);
    }
  }

  const BenchOptions& options_;
  TempDir dir_;
  Fixture fixture_;
  bool harness_ok_ = true;
  std::string sockets_dir_;
  std::string echo_tcp_address_;
  std::unique_ptr<ChildProcess> sample_;
  Served echo_;
  Served proxy_;
  Served proxy_h2_;  // not started when built without libnghttp2
  Served proxy_cq_;
  Served host_unix_;
  Served host_tcp_;
  Served gohop_unix_;
  Served gohop_tcp_;
  Target echo_unix_;
  Target echo_tcp_;
  Target direct_;
  Target via_proxy_;
  Target via_proxy_h2_;
  Target via_proxy_cq_;
  Target via_unix_;
  Target via_tcp_;
  Target via_gohop_unix_;
  Target via_gohop_tcp_;
  std::vector<Row> rows_;
  std::vector<Combo> combos_;
  std::vector<std::vector<LoadResult>> results_;
  std::vector<std::vector<LatencySummary>> summaries_;
  // CPU seconds used by each row's first hop while measured, and the calls it served.
  std::vector<std::vector<double>> hop_cpu_;
  std::vector<std::vector<int64_t>> hop_calls_;
};

}  // namespace

bool RunLatencyBench(const BenchOptions& options) {
  LatencyBench bench(options);
  return bench.Run();
}

}  // namespace plughost::bench
