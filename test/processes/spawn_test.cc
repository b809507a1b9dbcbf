// The pure parts of launching a process: placeholders, environment, line cutting, status text.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "host/processes/line_splitter.h"
#include "host/processes/process_status.h"
#include "host/processes/spawn.h"

namespace plughost {
namespace {

std::vector<std::string> Split(LineSplitter& splitter, std::string_view bytes) {
  std::vector<std::string> lines;
  splitter.Feed(bytes, [&](std::string_view line) { lines.emplace_back(line); });
  return lines;
}

std::string EnvValue(const LaunchPlan& plan, const std::string& name) {
  std::string found = "(unset)";
  for (const auto& entry : plan.env) {
    if (entry.rfind(name + "=", 0) == 0) found = entry.substr(name.size() + 1);
  }
  return found;
}

TEST_CASE("placeholders expand in any position; other braces stay", "[processes]") {
  CHECK(ExpandPlaceholders("--socket={socket}", "/s/a.sock", "/s") == "--socket=/s/a.sock");
  CHECK(ExpandPlaceholders("{sockets_dir}/x{socket}{", "/s/a.sock", "/s") == "/s/x/s/a.sock{");
  CHECK(ExpandPlaceholders("{sock} {}", "/s/a.sock", "/s") == "{sock} {}");
}

TEST_CASE("a launch plan expands the command and env and sets the socket folder", "[processes]") {
  ::setenv("PLUGHOST_TEST_INHERITED", "yes", 1);
  ::setenv("DAPR_COMPONENTS_SOCKETS_FOLDER", "/elsewhere", 1);
  ProcessSpec spec;
  spec.name = "store";
  spec.command = {"sh", "-c", "serve {socket}"};
  spec.env = {{"SOCK", "{socket}"}, {"LAYOTTO_COMPONENTS_SOCKETS_FOLDER", "/override"}};
  spec.workdir = "{sockets_dir}";
  LaunchPlan plan = PlanLaunch(spec, "/run/socks");
  CHECK(plan.argv == std::vector<std::string>{"sh", "-c", "serve /run/socks/store.sock"});
  CHECK(plan.program.find("/sh") != std::string::npos);  // found on PATH
  CHECK(plan.workdir == "/run/socks");
  CHECK(EnvValue(plan, "SOCK") == "/run/socks/store.sock");
  CHECK(EnvValue(plan, "PLUGHOST_SOCKETS_DIR") == "/run/socks");
  CHECK(EnvValue(plan, "DAPR_COMPONENTS_SOCKETS_FOLDER") == "/run/socks");  // the host's loses
  CHECK(EnvValue(plan, "DAPR_COMPONENT_SOCKETS_FOLDER") == "/run/socks");
  CHECK(EnvValue(plan, "LAYOTTO_COMPONENTS_SOCKETS_FOLDER") == "/override");  // the spec's wins
  CHECK(EnvValue(plan, "PLUGHOST_TEST_INHERITED") == "yes");
  size_t socket_folder_entries = 0;
  for (const auto& entry : plan.env) {
    socket_folder_entries += entry.rfind("DAPR_COMPONENTS_SOCKETS_FOLDER=", 0) == 0;
  }
  CHECK(socket_folder_entries == 1);
  ::unsetenv("DAPR_COMPONENTS_SOCKETS_FOLDER");
}

TEST_CASE("lines are cut at newlines and at the bound", "[processes]") {
  LineSplitter splitter(8);
  CHECK(Split(splitter, "one\ntw").size() == 1);
  CHECK(Split(splitter, "o\r\nthree\n") == std::vector<std::string>{"two", "three"});
  CHECK(Split(splitter, "0123456789abcdefghij\n") ==
        std::vector<std::string>{"01234567", "89abcdef", "ghij"});
  CHECK(Split(splitter, "12345678\n") == std::vector<std::string>{"12345678"});
  CHECK(Split(splitter, "\n") == std::vector<std::string>{""});
  CHECK(Split(splitter, "tail").empty());
  std::vector<std::string> last;
  splitter.Finish([&](std::string_view line) { last.emplace_back(line); });
  CHECK(last == std::vector<std::string>{"tail"});
}

TEST_CASE("status text for readiness and metrics", "[processes]") {
  ProcessStatus running;
  running.name = "ok";
  running.state = ProcessStatus::State::kRunning;
  running.pid = 42;
  ProcessStatus crashing;
  crashing.name = "crasher";
  crashing.state = ProcessStatus::State::kRestarting;
  crashing.starts = 13;
  crashing.restarts = 12;
  crashing.last_exit = "exit status 1";
  crashing.last_exit_code = 1;
  crashing.next_restart_in = std::chrono::milliseconds(1500);
  crashing.backoff = std::chrono::milliseconds(2000);
  crashing.backoff_at_cap = true;
  ProcessStatus done;
  done.name = "done";
  done.state = ProcessStatus::State::kExited;
  done.last_exit_code = 0;

  CHECK(ReadinessProblems({running, done}).empty());
  CHECK(ReadinessProblems({running, crashing}) ==
        "process crasher: down since exit status 1; restarting in 1.5 s (12 restarts; backoff "
        "at its cap)\n");
  CHECK(Describe(running) == "running (pid 42, 0 restarts)");
  CHECK(Describe(crashing) ==
        "restarting (in 1.5 s (backoff at its cap), 12 restarts; last: exit status 1)");

  std::string metrics = RenderProcessMetrics({running, crashing});
  CHECK(metrics.find("plughost_process_up{process=\"ok\"} 1\n") != std::string::npos);
  CHECK(metrics.find("plughost_process_up{process=\"crasher\"} 0\n") != std::string::npos);
  CHECK(metrics.find("plughost_process_restarts_total{process=\"crasher\"} 12\n") !=
        std::string::npos);
  CHECK(metrics.find("plughost_process_last_exit_code{process=\"crasher\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find("plughost_process_restart_backoff_seconds{process=\"crasher\"} 2\n") !=
        std::string::npos);
  CHECK(RenderProcessMetrics({}).empty());
}

}  // namespace
}  // namespace plughost
