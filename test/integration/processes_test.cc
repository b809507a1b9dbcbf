// Component processes in the host's care: the real plughost binary launches the real sample
// component (and small shell or Python programs), restarts it, logs its output and stops it.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "test/support/http_get.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A JSON string literal of `text` (test paths and scripts only: quotes and backslashes).
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The sample component as a declared process serving "<name>.sock".
std::string SampleProcess(const std::string& name) {
  return "{\"name\": " + Quoted(name) + ", \"command\": [" +
         Quoted(RequiredEnv("SAMPLE_COMPONENT_BIN")) + ", \"--socket\", \"{socket}\"]}";
}

std::string ShellProcess(const std::string& name, const std::string& script,
                         const std::string& restart = "always") {
  return "{\"name\": " + Quoted(name) + ", \"command\": [\"sh\", \"-c\", " + Quoted(script) +
         "], \"restart\": " + Quoted(restart) + "}";
}

// A config with the built-in state store, `components` and `processes` (JSON fragments).
std::string WriteConfig(const TempDir& dir, const std::string& processes,
                        const std::string& components = "") {
  std::string path = dir.File("config.json");
  WriteFile(path,
            "{\"app_id\": \"procs\", \"components\": [{\"name\": \"statestore\", "
            "\"type\": \"state.in-memory\"}" +
                (components.empty() ? "" : ", " + components) + "], \"processes\": [" + processes +
                "]}");
  return path;
}

std::map<std::string, std::string> ExtendedMetadata(RunningHost& host) {
  rt::GetMetadataResponse response;
  if (!host.dapr().GetMetadata(Deadline().get(), rt::GetMetadataRequest(), &response).ok()) {
    return {};
  }
  return {response.extended_metadata().begin(), response.extended_metadata().end()};
}

// The pid GetMetadata shows for a running process ("running (pid 123, ...)"); 0 otherwise.
pid_t RunningPid(RunningHost& host, const std::string& name) {
  auto metadata = ExtendedMetadata(host);
  auto it = metadata.find("plughost.process." + name);
  if (it == metadata.end() || it->second.rfind("running (pid ", 0) != 0) return 0;
  return static_cast<pid_t>(std::atoi(it->second.c_str() + std::strlen("running (pid ")));
}

pid_t ReadPidFile(const std::string& path) {
  pid_t pid = 0;
  Eventually([&] {
    std::ifstream in(path);
    return static_cast<bool>(in >> pid) && pid > 0;
  });
  return pid;
}

// True when `pid` no longer runs: gone from the process table, or a zombie nobody reaped yet
// (after the host died, reaping is up to whoever adopted it).
bool NotRunning(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
}

bool SaveAndGet(RunningHost& host, const std::string& store, const std::string& key) {
  rt::SaveStateRequest save;
  save.set_store_name(store);
  auto* item = save.add_states();
  item->set_key(key);
  item->set_value("v");
  google::protobuf::Empty empty;
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + 2s);
  if (!host.dapr().SaveState(context.get(), save, &empty).ok()) return false;
  rt::GetStateRequest get;
  get.set_store_name(store);
  get.set_key(key);
  rt::GetStateResponse response;
  context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + 2s);
  return host.dapr().GetState(context.get(), get, &response).ok() && response.data() == "v";
}

TEST_CASE("a launched component killed under load is restarted, re-initialised and serves",
          "[integration][processes]") {
  TempDir dir;
  // The configuration names the component's type: startup waits for the launched process.
  std::string config =
      WriteConfig(dir, SampleProcess("sample"), R"({"name": "orders", "type": "state.sample"})");
  RunningHost host(dir, dir.path(), {"--config", config, "--ping-interval", "200"});
  INFO(host.Log());
  REQUIRE(host.started());
  REQUIRE(SaveAndGet(host, "orders", "warm"));
  pid_t first = RunningPid(host, "sample");
  REQUIRE(first > 0);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok_calls{0}, failed_calls{0};
  // Nanoseconds on the steady clock: when the kill happened, and when the first call that
  // began after it succeeded (it cannot have reached the killed process).
  std::atomic<int64_t> killed_at{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> first_ok_after_kill{0};
  auto now_nanos = [] { return Clock::now().time_since_epoch().count(); };
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        int64_t began = now_nanos();
        if (SaveAndGet(host, "orders", std::to_string(t) + "-" + std::to_string(i) + "k")) {
          ++ok_calls;
          int64_t expected = 0;
          if (began > killed_at) first_ok_after_kill.compare_exchange_strong(expected, now_nanos());
        } else {
          ++failed_calls;
          std::this_thread::sleep_for(5ms);
        }
      }
    });
  }
  REQUIRE(Eventually([&] { return ok_calls > 200; }));
  killed_at = now_nanos();
  ::kill(first, SIGKILL);
  bool served_again = Eventually([&] { return first_ok_after_kill > 0; }, 30s);
  // Measured, not asserted: from the kill to the first successful call begun after it.
  auto restart_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(first_ok_after_kill - killed_at));
  int64_t ok_before = ok_calls;
  bool keeps_serving = Eventually([&] { return ok_calls > ok_before + 100; });
  stop = true;
  for (auto& thread : load) thread.join();
  REQUIRE(served_again);
  CHECK(keeps_serving);
  std::printf(
      "[processes] kill -9 of a launched component under load: serving again after "
      "%lld ms (%lld calls failed meanwhile)\n",
      static_cast<long long>(restart_time.count()), static_cast<long long>(failed_calls.load()));
  std::fflush(stdout);

  pid_t second = RunningPid(host, "sample");
  CHECK(second > 0);
  CHECK(second != first);
  CHECK_THAT(ExtendedMetadata(host)["plughost.process.sample"],
             Catch::Contains("1 restart; last: signal 9"));
  CHECK(SaveAndGet(host, "orders", "after"));
  std::string log = host.Log();
  CHECK_THAT(log, Catch::Contains("process 'sample' ended after"));
  CHECK_THAT(log, Catch::Contains("signal 9 (Killed)"));
  CHECK_THAT(log, Catch::Contains("process/sample: cpp-sample: serving"));
}

TEST_CASE("a process that exits at once forever backs off to its cap; others keep serving",
          "[integration][processes]") {
  TempDir dir;
  int ops_port = FreeTcpPort();
  std::string config = WriteConfig(
      dir, SampleProcess("healthy") + ", " + ShellProcess("crasher", "echo giving up; exit 7"));
  RunningHost host(dir, dir.path(),
                   {"--config", config, "--restart-max-backoff", "300", "--init-timeout", "1500",
                    "--ops-address", "127.0.0.1:" + std::to_string(ops_port)});
  INFO(host.Log());
  REQUIRE(host.started());
  REQUIRE(WaitForPort(ops_port, 5s));

  HttpResponse ready;
  CHECK(Eventually([&] {
    ready = HttpGet(ops_port, "/readyz");
    return ready.body.find("backoff at its cap") != std::string::npos;
  }));
  CHECK(ready.status == 503);
  CHECK_THAT(ready.body, Catch::Contains("process crasher: down since exit status 7"));
  CHECK_THAT(ready.body, !Catch::Contains("healthy"));

  for (int i = 0; i < 20; ++i) CHECK(SaveAndGet(host, "healthy", std::to_string(i) + "k"));
  auto metrics = HttpGet(ops_port, "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("plughost_process_up{process=\"healthy\"} 1"));
  CHECK_THAT(metrics, Catch::Contains("plughost_process_up{process=\"crasher\"} 0"));
  CHECK_THAT(metrics, Catch::Contains("plughost_process_last_exit_code{process=\"crasher\"} 7"));
  CHECK_THAT(metrics, Catch::Contains("plughost_process_restarts_total{process=\"healthy\"} 0"));
  CHECK_THAT(metrics, !Catch::Contains("plughost_process_restarts_total{process=\"crasher\"} 0"));
  // `plughost components` with the same config tells launched sockets apart.
  auto listing = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "components", "--config", config, "--sockets-dir", dir.path()},
      dir.File("components.log"));
  CHECK(listing->WaitExit(20s) == 0);
  CHECK_THAT(listing->Log(), Catch::Contains("state.healthy"));
  CHECK_THAT(listing->Log(), Catch::Contains("ok (process 'healthy', launched by the host)"));
  CHECK_THAT(listing->Log(),
             Catch::Contains("not serving: process 'crasher' is launched by a running host"));

  std::string log = host.Log();
  CHECK_THAT(log, Catch::Contains("process/crasher: giving up"));
  CHECK_THAT(log, Catch::Contains("it keeps failing: backoff at its cap"));
}

TEST_CASE("host SIGTERM stops every child; one that ignores SIGTERM is killed after the drain",
          "[integration][processes]") {
  TempDir dir;
  std::string stubborn_pid = dir.File("stubborn.pid");
  std::string config =
      WriteConfig(dir, SampleProcess("polite") + ", " +
                           ShellProcess("stubborn", "trap '' TERM; echo $$ > " + stubborn_pid +
                                                        "; while :; do sleep 0.1; done"));
  RunningHost host(dir, dir.path(),
                   {"--config", config, "--drain-timeout", "500", "--init-timeout", "500"});
  INFO(host.Log());
  REQUIRE(host.started());
  pid_t polite = 0;
  REQUIRE(Eventually([&] { return (polite = RunningPid(host, "polite")) > 0; }));
  pid_t stubborn = ReadPidFile(stubborn_pid);
  REQUIRE(stubborn > 0);

  host.process().Signal(SIGTERM);
  REQUIRE(host.process().WaitExit(20s) == 0);
  CHECK(NotRunning(polite));
  CHECK(NotRunning(stubborn));
  std::string log = host.Log();
  CHECK_THAT(log, Catch::Contains("process 'polite' stopped: exit status 0"));
  CHECK_THAT(log, Catch::Contains("process 'stubborn' (pid " + std::to_string(stubborn) +
                                  ") still running after the grace period: SIGKILL"));
  CHECK_THAT(log, Catch::Contains("process 'stubborn' stopped: signal 9"));
}

TEST_CASE("no child outlives a host killed with SIGKILL", "[integration][processes]") {
  TempDir dir;
  std::string sleeper_pid = dir.File("sleeper.pid");
  std::string config = WriteConfig(
      dir, SampleProcess("sample") + ", " +
               ShellProcess("sleeper", "echo $$ > " + sleeper_pid + "; exec sleep 600"));
  RunningHost host(dir, dir.path(), {"--config", config, "--init-timeout", "500"});
  INFO(host.Log());
  REQUIRE(host.started());
  pid_t sample = 0;
  REQUIRE(Eventually([&] { return (sample = RunningPid(host, "sample")) > 0; }));
  pid_t sleeper = ReadPidFile(sleeper_pid);
  REQUIRE(sleeper > 0);
  REQUIRE_FALSE(NotRunning(sample));
  REQUIRE_FALSE(NotRunning(sleeper));

  host.process().Signal(SIGKILL);
  REQUIRE(host.process().WaitExit(10s).has_value());
  CHECK(Eventually([&] { return NotRunning(sample) && NotRunning(sleeper); }, 10s));
}

TEST_CASE("1 MB/s of child output: the host stays responsive and loses no line",
          "[integration][processes]") {
  TempDir dir;
  constexpr int kBatches = 300, kLinesPerBatch = 100;  // 100-byte lines, a batch every 10 ms
  std::string script = dir.File("chatty.py");
  WriteFile(
      script,
      "import sys, time\n"
      "pad = 'x' * 90\n"
      "start = time.monotonic()\n"
      "for batch in range(" +
          std::to_string(kBatches) +
          "):\n"
          "    n = " +
          std::to_string(kLinesPerBatch) +
          "\n"
          "    sys.stdout.write(''.join('%08d %s\\n' % (batch * n + i, pad) for i in range(n)))\n"
          "    sys.stdout.flush()\n"
          "    wait = start + (batch + 1) * 0.01 - time.monotonic()\n"
          "    if wait > 0: time.sleep(wait)\n");
  std::string config =
      WriteConfig(dir, "{\"name\": \"chatty\", \"restart\": \"never\", \"command\": [" +
                           Quoted(RequiredEnv("PYTHON_BIN")) + ", " + Quoted(script) + "]}");
  int ops_port = FreeTcpPort();
  RunningHost host(dir, dir.path(),
                   {"--config", config, "--init-timeout", "200", "--ops-address",
                    "127.0.0.1:" + std::to_string(ops_port)});
  INFO(host.Log());
  REQUIRE(host.started());
  REQUIRE(WaitForPort(ops_port, 5s));

  int health_checks = 0, health_failures = 0, api_failures = 0;
  auto done = [&] {
    auto metadata = ExtendedMetadata(host);
    return metadata["plughost.process.chatty"].rfind("exited", 0) == 0;
  };
  while (!done() && health_checks < 2000) {
    ++health_checks;
    if (HttpGet(ops_port, "/healthz").status != 200) ++health_failures;
    if (!SaveAndGet(host, "statestore", "k")) ++api_failures;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(done());
  CHECK(health_checks > 10);
  CHECK(health_failures == 0);
  CHECK(api_failures == 0);

  std::istringstream log(host.Log());
  std::string line;
  int expected = 0, out_of_order = 0;
  while (std::getline(log, line)) {
    auto at = line.find(" process/chatty: ");
    if (at == std::string::npos) continue;
    int number = std::atoi(line.c_str() + at + std::strlen(" process/chatty: "));
    if (number != expected) ++out_of_order;
    expected = number + 1;
  }
  CHECK(out_of_order == 0);
  CHECK(expected == kBatches * kLinesPerBatch);
  std::printf(
      "[processes] %d lines (%d bytes) of child output logged; %d health checks "
      "answered meanwhile\n",
      expected, expected * 100, health_checks);
}

}  // namespace
}  // namespace plughost::testing

namespace plughost::testing {
namespace {

TEST_CASE("a host with only --resources-path launches the component a Process document declares",
          "[integration][processes]") {
  TempDir dir;
  std::string resources = dir.File("resources");
  REQUIRE(::mkdir(resources.c_str(), 0755) == 0);
  // The process and the component it serves, each in its own file, as an operator keeps them.
  WriteFile(resources + "/process.yaml",
            "apiVersion: plughost.io/v1alpha1\nkind: Process\nmetadata:\n  name: sample\n"
            "spec:\n  command: [" +
                Quoted(RequiredEnv("SAMPLE_COMPONENT_BIN")) +
                ", --socket, \"{socket}\"]\n  restart: always\n");
  WriteFile(resources + "/orders.yaml",
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders\n"
            "spec:\n  type: state.sample\n  version: v1\n");
  RunningHost host(dir, dir.path(), {"--resources-path", resources, "--app-id", "procs"});
  INFO(host.Log());
  REQUIRE(host.started());
  CHECK(SaveAndGet(host, "orders", "from-a-process-document"));
  CHECK(RunningPid(host, "sample") > 0);
  CHECK_THAT(host.Log(), Catch::Contains("process/sample: cpp-sample: serving"));
}

TEST_CASE("a configured type whose launched process never serves fails startup, naming it",
          "[integration][processes]") {
  TempDir dir;
  std::string config = WriteConfig(dir, ShellProcess("broken", "echo cannot reach redis; exit 1"),
                                   R"({"name": "orders", "type": "state.broken"})");
  auto host = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--config", config, "--sockets-dir", dir.path(),
       "--grpc-address", "127.0.0.1:" + std::to_string(FreeTcpPort()), "--ops-address", "off",
       "--init-timeout", "500"},
      dir.File("host.log"));
  REQUIRE(host->WaitExit(30s) == 2);
  std::string log = host->Log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("process/broken: cannot reach redis"));
  CHECK_THAT(log, Catch::Contains("unknown component type \"state.broken\""));
  CHECK_THAT(log, Catch::Contains("processes[0] launches 'broken', which did not serve it"));
}

}  // namespace
}  // namespace plughost::testing
