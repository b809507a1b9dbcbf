#include "bench/discovery_bench.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "bench/fake_servers.h"
#include "bench/fixture.h"
#include "bench/process.h"

namespace plughost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kFolderReadyTimeout = std::chrono::seconds(60);
constexpr auto kScanTimeout = std::chrono::seconds(60);

bool IsSocketFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int CountLinesContaining(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

struct FolderShape {
  int good;
  int dead;
  int hung;
  int total() const { return good + dead + hung; }
};

class DiscoveryBench {
 public:
  explicit DiscoveryBench(const BenchOptions& options)
      : options_(options), fixture_(options.binaries, &dir_) {}

  bool Run() {
    if (!dir_.ok()) return Fail("cannot create a scratch folder under /tmp");
    if (options_.keep_logs) dir_.Keep();
    FolderShape full{options_.good_sockets, options_.dead_sockets, options_.hung_sockets};
    fmt::print(
        "discovery: probe deadline {} ms, {} timed scan(s) per folder; load average {:.2f}\n",
        options_.probe_timeout.count(), options_.discovery_runs, LoadAverage());
    if (!MeasureFolder("d1", full, /*with_host=*/true)) return false;
    // Hung sockets cost one probe deadline, which dominates the figure above; the same folder
    // without them shows what the rest of the scan costs.
    if (full.hung > 0 && !MeasureFolder("d2", {full.good, full.dead, 0}, /*with_host=*/false)) {
      return false;
    }
    if (options_.keep_logs) fmt::print("logs kept in {}\n", dir_.path());
    return ok_;
  }

 private:
  bool Fail(const std::string& message) {
    fmt::print(stderr, "discovery: harness failure: {}\n", message);
    ok_ = false;
    return false;
  }

  std::unique_ptr<ChildProcess> ServeFolder(const std::string& folder, const FolderShape& shape) {
    if (!MakeDir(folder)) {
      Fail("cannot create " + folder);
      return nullptr;
    }
    std::string error;
    auto server = ChildProcess::Spawn(
        {options_.binaries.self, "--serve-discovery", folder, std::to_string(shape.good),
         std::to_string(shape.dead), std::to_string(shape.hung)},
        folder + ".log", &error);
    if (!server) {
      Fail(error);
      return nullptr;
    }
    for (int i = 0; i < shape.good; ++i) {
      if (!WaitForUnixSocket(folder + "/" + GoodSocketName(i), kFolderReadyTimeout, server.get())) {
        Fail("the discovery folder server did not start; its log:\n" + server->LogTail());
        return nullptr;
      }
    }
    // Dead and hung sockets are only checked to exist: a connect() would sit in a hung
    // socket's backlog.
    auto deadline = Clock::now() + kFolderReadyTimeout;
    auto all_made = [&] {
      for (int i = 0; i < shape.dead; ++i) {
        if (!IsSocketFile(folder + "/" + DeadSocketName(i))) return false;
      }
      for (int i = 0; i < shape.hung; ++i) {
        if (!IsSocketFile(folder + "/" + HungSocketName(i))) return false;
      }
      return true;
    };
    while (!all_made()) {
      if (Clock::now() > deadline || !server->Running()) {
        Fail("the discovery folder server did not make its sockets; its log:\n" +
             server->LogTail());
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return server;
  }

  bool MeasureFolder(const std::string& name, const FolderShape& shape, bool with_host) {
    std::string folder = dir_.File(name);
    auto server = ServeFolder(folder, shape);
    if (!server) return false;
    std::string probe_ms = std::to_string(options_.probe_timeout.count());

    std::vector<double> walls;
    std::vector<double> reported;
    int listed_ok = 0;
    int listed_skipped = 0;
    for (int run = 0; run < options_.discovery_runs; ++run) {
      std::string error;
      auto start = Clock::now();
      auto scan = ChildProcess::Spawn({options_.binaries.plughost, "components", "--sockets-dir",
                                       folder, "--probe-timeout", probe_ms},
                                      dir_.File(fmt::format("{}-scan-{}.log", name, run)), &error);
      if (!scan) return Fail(error);
      auto code = scan->WaitExit(kScanTimeout);
      double wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      std::string out = scan->Log();
      std::smatch match;
      if (!code || *code != 0 ||
          !std::regex_search(out, match, std::regex(R"(scanned in (\d+) ms)"))) {
        return Fail("plughost components failed (exit " + (code ? std::to_string(*code) : "none") +
                    "):\n" + scan->LogTail());
      }
      walls.push_back(wall_ms);
      reported.push_back(std::stod(match[1]));
      listed_ok = CountLinesContaining(out, " ok: ");
      listed_skipped = CountLinesContaining(out, " skipped: ");
    }
    fmt::print("  folder of {} sockets ({} good, {} dead, {} hung):\n", shape.total(), shape.good,
               shape.dead, shape.hung);
    std::string all_walls;
    for (double w : walls) all_walls += fmt::format("{}{:.0f}", all_walls.empty() ? "" : ", ", w);
    fmt::print(
        "    plughost components: wall {:.0f} ms median ({} ms each), own figure {:.0f} ms "
        "median; listed {} ok, {} skipped\n",
        Median(walls), all_walls, Median(reported), listed_ok, listed_skipped);
    if (listed_ok != shape.good || listed_skipped != shape.dead + shape.hung) {
      fmt::print("    WARNING: expected {} ok and {} skipped\n", shape.good,
                 shape.dead + shape.hung);
    }
    fmt::print(
        "    (plughost components waits for every probe: hung sockets cost one probe deadline, "
        "{} ms, once and in parallel)\n",
        options_.probe_timeout.count());
    if (with_host && !MeasureHost(folder, shape, probe_ms)) return false;
    server->Stop();
    return true;
  }

  // The host's own startup, the figure product.md means: the host stops waiting for sockets
  // once its discovery wait has passed, serves, and probes the silent ones in the background.
  bool MeasureHost(const std::string& folder, const FolderShape& shape,
                   const std::string& probe_ms) {
    std::vector<double> discovery_ms;
    std::vector<double> serving_ms;
    std::string last_line;
    for (int run = 0; run < options_.discovery_runs; ++run) {
      auto start = Clock::now();
      Served host = fixture_.StartHost(fmt::format("discovery-host-{}", run), folder,
                                       Transport::kTcp, {"--probe-timeout", probe_ms});
      double ready_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (!host.process) return Fail(fixture_.error());
      std::string log = host.process->Log();
      std::smatch match;
      if (!std::regex_search(log, match,
                             std::regex(R"(discovery: \S+: (\d+) component socket\(s\), (\d+) )"
                                        R"(skipped, (\d+) still probing, in (\d+) ms)"))) {
        host.process->Stop();
        return Fail("the host's log has no discovery line:\n" + log.substr(0, 2000));
      }
      discovery_ms.push_back(std::stod(match[4]));
      serving_ms.push_back(ready_ms);
      last_line = fmt::format("{} component sockets, {} skipped, {} still probing", match[1].str(),
                              match[2].str(), match[3].str());
      if (std::stoi(match[1]) != shape.good) {
        fmt::print("    WARNING: expected {} component sockets, got {}\n", shape.good,
                   match[1].str());
      }
      if (run == 0 && shape.hung > 0) {
        // The silent sockets are still classified: one more probe deadline in the background,
        // one log line each.
        auto deadline = Clock::now() + options_.probe_timeout + std::chrono::seconds(5);
        int skipped_late = 0;
        while (Clock::now() < deadline) {
          skipped_late = CountLinesContaining(host.process->Log(), "skipping " + folder + "/hung");
          if (skipped_late >= shape.hung) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        fmt::print(
            "    background: {} of {} hung sockets reported skipped after their probe "
            "deadline, the host serving meanwhile\n",
            skipped_late, shape.hung);
      }
      host.process->Stop();
    }
    fmt::print(
        "    host startup: discovery {:.0f} ms median by its log ({}); serving after "
        "{:.0f} ms median (includes Init of every component)\n",
        Median(discovery_ms), last_line, Median(serving_ms));
    fmt::print("    goal < 300 ms (host startup discovery): {}\n",
               Median(discovery_ms) < 300 ? "met" : "NOT met");
    return true;
  }

  const BenchOptions& options_;
  TempDir dir_;
  Fixture fixture_;
  bool ok_ = true;
};

}  // namespace

bool RunDiscoveryBench(const BenchOptions& options) {
  DiscoveryBench bench(options);
  return bench.Run();
}

}  // namespace plughost::bench
