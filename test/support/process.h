// Test support: real child processes (the host, sample components) and waiting for them.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace plughost::testing {

class ChildProcess {
 public:
  // Starts argv[0] with `argv`, stdout and stderr appended to `log_path`, `env` added to ours.
  static std::unique_ptr<ChildProcess> Spawn(const std::vector<std::string>& argv,
                                             const std::string& log_path,
                                             const std::map<std::string, std::string>& env = {});
  ~ChildProcess();  // kills (SIGKILL) and reaps a process still running

  int pid() const { return pid_; }
  void Signal(int signal_number) const;
  // The exit code (128 + signal when killed), or nullopt if still running after `timeout`.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  std::string Log() const;

 private:
  ChildProcess(int pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  int pid_;
  std::string log_path_;
  std::optional<int> exit_code_;
};

// A fresh, short directory under /tmp (socket paths must stay under 108 bytes), removed with it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Polls `condition` until it holds or `limit` passes; true if it held. The limit only bounds a
// broken run: tests never assert how long this took.
template <typename Condition>
bool Eventually(Condition condition,
                std::chrono::milliseconds limit = std::chrono::milliseconds(20000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

bool WaitForSocket(const std::string& path, std::chrono::milliseconds timeout);
bool WaitForPort(int port, std::chrono::milliseconds timeout);
int FreeTcpPort();
// The value of an environment variable the test runner must set (fails the test if absent).
std::string RequiredEnv(const char* name);
void WriteFile(const std::string& path, const std::string& content);

}  // namespace plughost::testing
