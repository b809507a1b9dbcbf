// ProcessSupervisor against real children (sh, seq, sleep): output, exits, restarts, stop.
#include "host/processes/process_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/common/log.h"
#include "test/support/process.h"

namespace plughost {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::TempDir;

// Sends the host log (stderr) to a file for the lifetime of the object.
class CapturedStderr {
 public:
  explicit CapturedStderr(std::string path) : path_(std::move(path)) {
    saved_ = ::dup(STDERR_FILENO);
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~CapturedStderr() { Restore(); }
  void Restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::string Text() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string path_;
  int saved_ = -1;
};

// The messages the log has under `scope`, in order.
std::vector<std::string> LinesOf(const std::string& log, const std::string& scope) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  std::string line;
  std::string marker = " " + scope + ": ";
  while (std::getline(in, line)) {
    auto at = line.find(marker);
    if (at != std::string::npos) lines.push_back(line.substr(at + marker.size()));
  }
  return lines;
}

ProcessSpec Spec(std::string name, std::vector<std::string> command,
                 ProcessSpec::Restart restart = ProcessSpec::Restart::kAlways) {
  ProcessSpec spec;
  spec.name = std::move(name);
  spec.command = std::move(command);
  spec.restart = restart;
  return spec;
}

ProcessSupervisorOptions FastOptions(const TempDir& dir) {
  ProcessSupervisorOptions options;
  options.sockets_dir = dir.path();
  options.restart_backoff = {5ms, 2.0, 0.2, 40ms};
  return options;
}

ProcessStatus StatusOf(const ProcessSupervisor& supervisor, const std::string& name) {
  for (const auto& status : supervisor.Snapshot()) {
    if (status.name == name) return status;
  }
  FAIL("no process " << name);
  return {};
}

bool Gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

pid_t ReadPid(const std::string& path) {
  pid_t pid = 0;
  Eventually([&] {
    std::ifstream in(path);
    return static_cast<bool>(in >> pid) && pid > 0;
  });
  return pid;
}

TEST_CASE("every line a child writes reaches the log under its name", "[processes]") {
  TempDir dir;
  CapturedStderr captured(dir.File("host.log"));
  ProcessSupervisor supervisor(
      {Spec("counter", {"sh", "-c", "seq 1 50000; echo on-stderr >&2; printf unterminated"},
            ProcessSpec::Restart::kNever)},
      FastOptions(dir));
  REQUIRE(supervisor.Start().ok());
  bool exited = Eventually(
      [&] { return StatusOf(supervisor, "counter").state == ProcessStatus::State::kExited; });
  supervisor.Stop(1s);
  captured.Restore();
  REQUIRE(exited);
  auto lines = LinesOf(captured.Text(), "process/counter");
  REQUIRE(lines.size() == 50002);
  for (int i = 0; i < 50000; ++i) {
    if (lines[i] != std::to_string(i + 1)) FAIL("line " << i << " is " << lines[i]);
  }
  // stdout and stderr are two pipes: their relative order is not kept.
  std::vector<std::string> tail(lines.begin() + 50000, lines.end());
  std::sort(tail.begin(), tail.end());
  CHECK(tail == std::vector<std::string>{"on-stderr", "unterminated"});
  CHECK(StatusOf(supervisor, "counter").last_exit == "exit status 0");
}

TEST_CASE("with JSON logs, each child line is one JSON object scoped to the process",
          "[processes]") {
  TempDir dir;
  CapturedStderr captured(dir.File("host.log"));
  log::SetJsonFormat(true);
  ProcessSupervisor supervisor(
      {Spec("quoted", {"sh", "-c", "echo 'say \"hi\"'"}, ProcessSpec::Restart::kNever)},
      FastOptions(dir));
  REQUIRE(supervisor.Start().ok());
  bool exited = Eventually(
      [&] { return StatusOf(supervisor, "quoted").state == ProcessStatus::State::kExited; });
  supervisor.Stop(1s);
  log::SetJsonFormat(false);
  captured.Restore();
  REQUIRE(exited);
  std::istringstream lines(captured.Text());
  std::string line;
  int found = 0;
  while (std::getline(lines, line)) {
    auto object = nlohmann::json::parse(line);  // every line of the log is JSON
    if (object["scope"] == "process/quoted") {
      ++found;
      CHECK(object["msg"] == "say \"hi\"");
      CHECK(object["level"] == "INFO");
    }
  }
  CHECK(found == 1);
}

TEST_CASE("workdir, env and the socket folder reach the child", "[processes]") {
  TempDir dir;
  CapturedStderr captured(dir.File("host.log"));
  ProcessSpec spec = Spec("env", {"sh", "-c", "pwd; echo \"$PLUGHOST_SOCKETS_DIR $SOCK\" {socket}"},
                          ProcessSpec::Restart::kNever);
  spec.env["SOCK"] = "{socket}";
  spec.workdir = "/";
  ProcessSupervisor supervisor({spec}, FastOptions(dir));
  REQUIRE(supervisor.Start().ok());
  REQUIRE(Eventually(
      [&] { return StatusOf(supervisor, "env").state == ProcessStatus::State::kExited; }));
  supervisor.Stop(1s);
  captured.Restore();
  std::string socket = dir.path() + "/env.sock";
  CHECK(LinesOf(captured.Text(), "process/env") ==
        std::vector<std::string>{"/", dir.path() + " " + socket + " " + socket});
}

TEST_CASE("a child that keeps failing is retried with backoff up to its cap", "[processes]") {
  TempDir dir;
  CapturedStderr captured(dir.File("host.log"));
  ProcessSupervisor supervisor({Spec("crasher", {"sh", "-c", "exit 3"})}, FastOptions(dir));
  REQUIRE(supervisor.Start().ok());
  bool capped = Eventually([&] {
    auto status = StatusOf(supervisor, "crasher");
    return status.backoff_at_cap && status.restarts >= 5;
  });
  auto status = StatusOf(supervisor, "crasher");
  supervisor.Stop(1s);
  REQUIRE(capped);
  CHECK(status.last_exit_code == 3);
  CHECK(status.last_exit == "exit status 3");
  CHECK(status.backoff <= 40ms * 1.2);
  CHECK(captured.Text().find("backoff at its cap") != std::string::npos);
}

TEST_CASE("restart policies: on-failure ends on success, never ends on failure", "[processes]") {
  TempDir dir;
  CapturedStderr captured(dir.File("host.log"));
  ProcessSupervisor supervisor({Spec("clean", {"true"}, ProcessSpec::Restart::kOnFailure),
                                Spec("broken", {"false"}, ProcessSpec::Restart::kNever),
                                Spec("retried", {"false"}, ProcessSpec::Restart::kOnFailure)},
                               FastOptions(dir));
  REQUIRE(supervisor.Start().ok());
  CHECK(Eventually(
      [&] { return StatusOf(supervisor, "clean").state == ProcessStatus::State::kExited; }));
  CHECK(Eventually(
      [&] { return StatusOf(supervisor, "broken").state == ProcessStatus::State::kFailed; }));
  CHECK(Eventually([&] { return StatusOf(supervisor, "retried").restarts >= 2; }));
  CHECK(StatusOf(supervisor, "clean").restarts == 0);
  CHECK(StatusOf(supervisor, "broken").restarts == 0);
  CHECK(ReadinessProblems(supervisor.Snapshot()).find("process broken: failed (exit status 1)") !=
        std::string::npos);
  supervisor.Stop(1s);
}

TEST_CASE("a child killed by a signal is reported and started again", "[processes]") {
  TempDir dir;
  CapturedStderr captured(dir.File("host.log"));
  std::string pid_file = dir.File("pid");
  ProcessSupervisor supervisor(
      {Spec("sleeper", {"sh", "-c", "echo $$ > " + pid_file + "; exec sleep 60"})},
      FastOptions(dir));
  REQUIRE(supervisor.Start().ok());
  pid_t first = ReadPid(pid_file);
  REQUIRE(first > 0);
  CHECK(StatusOf(supervisor, "sleeper").pid == first);
  ::unlink(pid_file.c_str());
  ::kill(first, SIGKILL);
  pid_t second = ReadPid(pid_file);
  auto status = StatusOf(supervisor, "sleeper");
  supervisor.Stop(1s);
  CHECK(second != first);
  CHECK(status.restarts == 1);
  CHECK(status.last_exit_signal == SIGKILL);
  CHECK(status.last_exit_code == -1);
  CHECK(status.last_exit.rfind("signal 9", 0) == 0);
}

TEST_CASE("a program that cannot run is reported and retried", "[processes]") {
  TempDir dir;
  CapturedStderr captured(dir.File("host.log"));
  ProcessSupervisor supervisor({Spec("missing", {"/nonexistent/program"})}, FastOptions(dir));
  REQUIRE(supervisor.Start().ok());
  CHECK(Eventually([&] { return StatusOf(supervisor, "missing").restarts >= 2; }));
  auto status = StatusOf(supervisor, "missing");
  supervisor.Stop(1s);
  CHECK(status.last_exit.find("cannot execute /nonexistent/program") != std::string::npos);
}

TEST_CASE("stop: SIGTERM, then SIGKILL for a child that ignores it; all reaped", "[processes]") {
  TempDir dir;
  CapturedStderr captured(dir.File("host.log"));
  std::string polite_pid = dir.File("polite"), stubborn_pid = dir.File("stubborn");
  ProcessSupervisor supervisor(
      {Spec("polite", {"sh", "-c", "echo $$ > " + polite_pid + "; exec sleep 60"}),
       Spec("stubborn",
            {"sh", "-c",
             "trap '' TERM; echo $$ > " + stubborn_pid + "; while :; do sleep 0.05; done"})},
      FastOptions(dir));
  REQUIRE(supervisor.Start().ok());
  pid_t polite = ReadPid(polite_pid), stubborn = ReadPid(stubborn_pid);
  REQUIRE(polite > 0);
  REQUIRE(stubborn > 0);
  supervisor.Stop(300ms);
  captured.Restore();
  // Reaped, not just dead: a zombie would still answer kill(pid, 0).
  CHECK(Gone(polite));
  CHECK(Gone(stubborn));
  std::string log = captured.Text();
  CHECK(log.find("process 'polite' stopped: signal 15") != std::string::npos);
  CHECK(log.find("process 'stubborn' (pid " + std::to_string(stubborn) +
                 ") still running after the grace period: SIGKILL") != std::string::npos);
  CHECK(log.find("process 'stubborn' stopped: signal 9") != std::string::npos);
  for (const auto& status : supervisor.Snapshot()) {
    CHECK(status.state == ProcessStatus::State::kStopped);
  }
}

}  // namespace
}  // namespace plughost
