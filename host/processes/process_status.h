// What the host tells operators about the processes it launched: one status per declared
// process, rendered for /readyz, /metrics and GetMetadata.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace plughost {

struct ProcessStatus {
  enum class State {
    kRunning,     // a child is alive
    kRestarting,  // it died (or could not start); the next start waits for its backoff
    kExited,      // ended and its restart policy does not start it again (status 0)
    kFailed,      // ended with a failure and its restart policy does not start it again
    kStopped,     // the host stopped it
  };
  std::string name;
  State state = State::kRestarting;
  pid_t pid = 0;          // the running child; 0 otherwise
  uint64_t restarts = 0;  // starts after the first
  uint64_t starts = 0;
  // How the last child ended: "exit status 3", "signal 9 (Killed)", "cannot execute ...";
  // empty while none has ended.
  std::string last_exit;
  int last_exit_code = -1;                       // -1: none, or ended by a signal
  int last_exit_signal = 0;                      // 0: none, or ended by exiting
  std::chrono::milliseconds next_restart_in{0};  // kRestarting: the wait left
  std::chrono::milliseconds backoff{0};          // kRestarting: the whole wait drawn
  bool backoff_at_cap = false;                   // kRestarting: the wait reached its cap
};

std::string_view StateName(ProcessStatus::State state);

// One line: "running (pid 123, 2 restarts; last: signal 9 (Killed))".
std::string Describe(const ProcessStatus& status);

// For /readyz: one line per process that should run and does not, e.g.
// "process crasher: restarting in 2.0 s (exit status 1; 12 restarts; backoff at its cap)".
// Empty when every process is running or ended as its policy allows.
std::string ReadinessProblems(const std::vector<ProcessStatus>& statuses);

// Prometheus text: plughost_process_up, _restarts_total, _last_exit_code, _last_exit_signal,
// _restart_backoff_seconds, each labelled with the process name.
std::string RenderProcessMetrics(const std::vector<ProcessStatus>& statuses);

}  // namespace plughost
