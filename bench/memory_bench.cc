#include "bench/memory_bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "bench/calls.h"
#include "bench/fixture.h"
#include "bench/load.h"
#include "bench/process.h"

namespace plughost::bench {
namespace {

constexpr char kSampleStore[] = "bench";  // the sample's socket is bench.sock
constexpr char kBuiltinStore[] = "statestore";
constexpr size_t kValueSize = 100;
constexpr int kSoakInFlight = 32;

double Mb(long kb) { return static_cast<double>(kb) / 1024.0; }

bool Fail(const char* what, const std::string& message) {
  fmt::print(stderr, "{}: harness failure: {}\n", what, message);
  return false;
}

// Reads and writes of one store, pre-saving the key the reads need.
bool MixFor(rt::Dapr::Stub* stub, const std::string& store, std::vector<SlotFactory>* mix,
            std::string* error) {
  std::string value(kValueSize, 'm');
  grpc::Status saved = CallOnce(DaprSaveState(stub, store, ValueKey(kValueSize), value, false));
  if (!saved.ok()) {
    *error = "pre-saving to " + store + " failed: " + saved.error_message();
    return false;
  }
  mix->push_back(DaprGetState(stub, store, ValueKey(kValueSize), kValueSize));
  mix->push_back(DaprSaveState(stub, store, "soak", value, true));
  return true;
}

}  // namespace

bool RunMemoryBench(const BenchOptions& options) {
  TempDir dir;
  if (!dir.ok()) return Fail("memory", "cannot create a scratch folder under /tmp");
  if (options.keep_logs) dir.Keep();
  Fixture fixture(options.binaries, &dir);
  std::string sockets = dir.File("sockets");
  if (!MakeDir(sockets)) return Fail("memory", "cannot create " + sockets);
  auto sample = fixture.StartSample(sockets + "/" + kSampleStore + ".sock");
  if (!sample) return Fail("memory", fixture.error());

  // Every instance is of the one sample socket's type; the sample keeps each one apart by the
  // x-component-instance header the host sends.
  std::string components;
  for (int i = 0; i < options.memory_instances; ++i) {
    components += fmt::format(R"({}{{"name": "store-{}", "type": "state.{}", )"
                              R"("metadata": {{"keyPrefix": "none"}}}})",
                              i == 0 ? "" : ",\n    ", i, kSampleStore);
  }
  std::string config = dir.File("config.json");
  if (!WriteTextFile(config,
                     "{\"app_id\": \"bench\",\n  \"components\": [\n    " + components + "]}\n")) {
    return Fail("memory", "cannot write " + config);
  }
  Served host = fixture.StartHost("memory-host", sockets, Transport::kUnix, {"--config", config});
  if (!host.process) return Fail("memory", fixture.error());
  // A bare callback-API gRPC server, for scale: what any gRPC server costs here.
  Served echo = fixture.StartEcho({"unix:" + dir.File("echo.sock")});
  if (!echo.process) return Fail("memory", fixture.error());

  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ProcStatus started = ReadProcStatus(host.process->pid());

  Target target = Connect(host.target);
  for (int i = 0; i < options.memory_instances; ++i) {
    std::vector<SlotFactory> mix;
    std::string error;
    if (!MixFor(target.dapr.get(), "store-" + std::to_string(i), &mix, &error)) {
      return Fail("memory", error);
    }
    LoadSpec spec;
    spec.in_flight = 8;
    spec.max_calls = options.memory_warmup_calls;
    LoadResult result = RunLoad(spec, RoundRobin(std::move(mix)));
    if (result.errors > 0) {
      return Fail("memory", fmt::format("store-{}: {} failed call(s), first: {}", i, result.errors,
                                        result.first_error));
    }
  }
  std::this_thread::sleep_for(options.memory_idle);
  ProcStatus idle = ReadProcStatus(host.process->pid());
  ProcStatus sample_status = ReadProcStatus(sample->pid());
  ProcStatus echo_status = ReadProcStatus(echo.process->pid());

  fmt::print("memory: host with {} instances of the sample component (one socket):\n",
             options.memory_instances);
  fmt::print(
      "  host RSS just started {:.1f} MB; idle after {} calls per instance {:.1f} MB "
      "= {:.1f} MB private (anon) + {:.1f} MB mapped files, PSS {:.1f} MB "
      "(peak RSS {:.1f} MB, {} threads)\n",
      Mb(started.rss_kb), options.memory_warmup_calls, Mb(idle.rss_kb), Mb(idle.anon_kb),
      Mb(idle.file_kb), Mb(idle.pss_kb), Mb(idle.hwm_kb), idle.threads);
  fmt::print(
      "  for scale: sample component RSS {:.1f} MB ({:.1f} anon); a bare callback-API "
      "gRPC server RSS {:.1f} MB ({:.1f} anon)\n",
      Mb(sample_status.rss_kb), Mb(sample_status.anon_kb), Mb(echo_status.rss_kb),
      Mb(echo_status.anon_kb));
  if (idle.rss_kb < 0) return Fail("memory", "cannot read the host's /proc status");
  fmt::print("  goal <= 15 MB RSS idle: {}\n", Mb(idle.rss_kb) <= 15.0 ? "met" : "NOT met");
  host.process->Stop();
  return true;
}

bool RunSoak(const BenchOptions& options) {
  TempDir dir;
  if (!dir.ok()) return Fail("soak", "cannot create a scratch folder under /tmp");
  if (options.keep_logs) dir.Keep();
  Fixture fixture(options.binaries, &dir);
  std::string sockets = dir.File("sockets");
  if (!MakeDir(sockets)) return Fail("soak", "cannot create " + sockets);
  auto sample = fixture.StartSample(sockets + "/" + kSampleStore + ".sock");
  if (!sample) return Fail("soak", fixture.error());
  Served host = fixture.StartHost("soak-host", sockets, Transport::kUnix);
  if (!host.process) return Fail("soak", fixture.error());
  Target target = Connect(host.target);
  std::vector<SlotFactory> mix;
  std::string error;
  std::string stores;
  for (const char* store : {kBuiltinStore, kSampleStore}) {
    // --only narrows the soak to one store, to tell which path memory growth comes from.
    if (!options.only.empty() && std::string(store).find(options.only) == std::string::npos) {
      continue;
    }
    if (!MixFor(target.dapr.get(), store, &mix, &error)) return Fail("soak", error);
    stores += (stores.empty() ? "" : " and ") + std::string(store);
  }
  if (mix.empty()) return Fail("soak", "--only " + options.only + " matches no store");
  SlotFactory load = RoundRobin(std::move(mix));

  // The first seconds grow gRPC's pools and arenas to their working size; growth is measured
  // from after them.
  auto warmup = std::min<std::chrono::milliseconds>(std::chrono::seconds(10), options.soak / 10);
  LoadSpec spec;
  spec.in_flight = kSoakInFlight;
  spec.duration = std::max<std::chrono::milliseconds>(warmup, std::chrono::milliseconds(100));
  LoadResult warm = RunLoad(spec, load);
  ProcStatus start = ReadProcStatus(host.process->pid());
  ProcStatus sample_start = ReadProcStatus(sample->pid());
  fmt::print("soak: {} s, {} in flight, Get/Save on {}; host RSS after {} ms warm-up {:.1f} MB\n",
             options.soak.count(), kSoakInFlight, stores, spec.duration.count(), Mb(start.rss_kb));

  int64_t calls = 0;
  int64_t errors = warm.errors;
  std::string first_error = warm.first_error;
  auto end = std::chrono::steady_clock::now() + options.soak;
  auto started = std::chrono::steady_clock::now();
  ProcStatus last = start;
  // Growth is also reported from the one-minute mark, after gRPC's and malloc's pools have
  // had time to reach their working size, to tell a ramp from a steady climb.
  std::optional<ProcStatus> minute_mark;
  while (std::chrono::steady_clock::now() < end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    spec.duration = std::min<std::chrono::milliseconds>(options.soak_sample_every, left);
    if (spec.duration.count() <= 0) break;
    LoadResult chunk = RunLoad(spec, load);
    calls += chunk.calls;
    errors += chunk.errors;
    if (first_error.empty()) first_error = chunk.first_error;
    LatencySummary s = Summarize(chunk);
    last = ReadProcStatus(host.process->pid());
    auto elapsed = std::chrono::steady_clock::now() - started;
    if (!minute_mark && elapsed >= std::chrono::minutes(1)) minute_mark = last;
    fmt::print(
        "  t={:>5.0f} s  RSS {:>6.1f} MB (anon {:>5.1f})  {:>7.0f} calls/s  p50 {:>7.1f} us"
        "  p99 {:>7.1f} us  errors {}\n",
        std::chrono::duration<double>(elapsed).count(), Mb(last.rss_kb), Mb(last.anon_kb),
        s.calls_per_second, s.p50_us, s.p99_us, chunk.errors);
    std::fflush(stdout);
    if (!host.process->Running())
      return Fail("soak", "the host exited:\n" + host.process->LogTail());
  }
  auto growth = [](const ProcStatus& from, const ProcStatus& to) {
    return from.rss_kb > 0 ? 100.0 * static_cast<double>(to.rss_kb - from.rss_kb) /
                                 static_cast<double>(from.rss_kb)
                           : 0.0;
  };
  double total_growth = growth(start, last);
  ProcStatus sample_end = ReadProcStatus(sample->pid());
  fmt::print(
      "  host RSS start {:.1f} MB, end {:.1f} MB, growth {:+.1f}% (goal < 5%: {}); "
      "private (anon) {:.1f} -> {:.1f} MB\n",
      Mb(start.rss_kb), Mb(last.rss_kb), total_growth, total_growth < 5.0 ? "met" : "NOT met",
      Mb(start.anon_kb), Mb(last.anon_kb));
  if (minute_mark) {
    fmt::print("  host RSS growth from the 1-minute mark ({:.1f} MB): {:+.1f}%\n",
               Mb(minute_mark->rss_kb), growth(*minute_mark, last));
  }
  fmt::print("  sample component RSS {:.1f} -> {:.1f} MB; {} calls, {} errors (goal 0: {})\n",
             Mb(sample_start.rss_kb), Mb(sample_end.rss_kb), calls, errors,
             errors == 0 ? "met" : "NOT met");
  host.process->Stop();
  if (errors > 0) return Fail("soak", "failed calls, first: " + first_error);
  return true;
}

}  // namespace plughost::bench
