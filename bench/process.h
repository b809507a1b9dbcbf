// Child processes, scratch folders and /proc readings for the benchmark harness. The harness
// reports failures instead of throwing, so every helper here returns a status or an empty value.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace plughost::bench {

class ChildProcess {
 public:
  // Starts argv[0] with stdout and stderr appended to `log_path`; `env` entries override ours.
  // Returns nullptr (and fills `error`) when the program cannot be started.
  static std::unique_ptr<ChildProcess> Spawn(const std::vector<std::string>& argv,
                                             const std::string& log_path, std::string* error,
                                             const std::map<std::string, std::string>& env = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // a process still running is killed (SIGKILL) and reaped

  int pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  bool Running();
  void Signal(int signal_number) const;
  // The exit code (128 + signal when killed), or nullopt if still running after `timeout`.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL if it has not exited within `grace`. Returns the exit code.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  std::string Log() const;
  std::string LogTail(size_t max_bytes = 2000) const;

 private:
  ChildProcess(int pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  int pid_;
  std::string log_path_;
  std::optional<int> exit_code_;
};

// A fresh short folder under /tmp (socket paths must stay under 108 bytes), removed with it
// unless Keep() was called.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  void Keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

// Waits until a connect() succeeds; gives up early when `owner` (if given) has exited.
bool WaitForUnixSocket(const std::string& path, std::chrono::milliseconds timeout,
                       ChildProcess* owner = nullptr);
bool WaitForTcpPort(int port, std::chrono::milliseconds timeout, ChildProcess* owner = nullptr);
int FreeTcpPort();
bool MakeDir(const std::string& path);
bool WriteTextFile(const std::string& path, const std::string& content);

// Fields of /proc/<pid>/status, in kB or a count (Threads); -1 if unreadable. RSS splits
// into private memory (anon) and pages of mapped files, mostly shared libraries, which every
// gRPC process has and which are shared between processes.
struct ProcStatus {
  long rss_kb = -1;   // VmRSS
  long hwm_kb = -1;   // VmHWM, the peak
  long anon_kb = -1;  // RssAnon
  long file_kb = -1;  // RssFile
  long pss_kb = -1;   // Pss from smaps_rollup: shared pages divided among their sharers
  long threads = -1;
};
ProcStatus ReadProcStatus(int pid);
// The 1-minute load average, or -1.
double LoadAverage();

}  // namespace plughost::bench
