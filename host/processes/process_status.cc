#include "host/processes/process_status.h"

#include <fmt/format.h>

#include "host/common/prometheus_label.h"

namespace plughost {
namespace {

std::string Seconds(std::chrono::milliseconds duration) {
  return fmt::format("{:.1f} s", static_cast<double>(duration.count()) / 1000.0);
}

std::string Restarts(uint64_t restarts) {
  return fmt::format("{} restart{}", restarts, restarts == 1 ? "" : "s");
}

}  // namespace

std::string_view StateName(ProcessStatus::State state) {
  switch (state) {
    case ProcessStatus::State::kRunning:
      return "running";
    case ProcessStatus::State::kRestarting:
      return "restarting";
    case ProcessStatus::State::kExited:
      return "exited";
    case ProcessStatus::State::kFailed:
      return "failed";
    case ProcessStatus::State::kStopped:
      return "stopped";
  }
  return "unknown";
}

std::string Describe(const ProcessStatus& status) {
  std::string text(StateName(status.state));
  std::string details;
  if (status.state == ProcessStatus::State::kRunning) details = fmt::format("pid {}, ", status.pid);
  if (status.state == ProcessStatus::State::kRestarting) {
    details = fmt::format("in {}{}, ", Seconds(status.next_restart_in),
                          status.backoff_at_cap ? " (backoff at its cap)" : "");
  }
  details += Restarts(status.restarts);
  if (!status.last_exit.empty()) details += "; last: " + status.last_exit;
  return text + " (" + details + ")";
}

std::string ReadinessProblems(const std::vector<ProcessStatus>& statuses) {
  std::string out;
  for (const auto& status : statuses) {
    if (status.state == ProcessStatus::State::kRestarting) {
      out += fmt::format("process {}: {} since {}; restarting in {} ({}{})\n", status.name,
                         status.starts == 0 ? "not started" : "down",
                         status.last_exit.empty() ? "start" : status.last_exit,
                         Seconds(status.next_restart_in), Restarts(status.restarts),
                         status.backoff_at_cap ? "; backoff at its cap" : "");
    } else if (status.state == ProcessStatus::State::kFailed) {
      out += fmt::format("process {}: failed ({}); its restart policy does not start it again\n",
                         status.name, status.last_exit);
    }
  }
  return out;
}

std::string RenderProcessMetrics(const std::vector<ProcessStatus>& statuses) {
  if (statuses.empty()) return "";
  std::string up =
      "# HELP plughost_process_up 1 while the launched process runs, else 0.\n"
      "# TYPE plughost_process_up gauge\n";
  std::string restarts =
      "# HELP plughost_process_restarts_total Times the host started the process again.\n"
      "# TYPE plughost_process_restarts_total counter\n";
  std::string exit_code =
      "# HELP plughost_process_last_exit_code Exit status of the last child that ended "
      "(-1: none, or it was killed by a signal).\n"
      "# TYPE plughost_process_last_exit_code gauge\n";
  std::string exit_signal =
      "# HELP plughost_process_last_exit_signal Signal that ended the last child (0: none).\n"
      "# TYPE plughost_process_last_exit_signal gauge\n";
  std::string backoff =
      "# HELP plughost_process_restart_backoff_seconds The wait before the pending restart "
      "(0 when none is pending).\n"
      "# TYPE plughost_process_restart_backoff_seconds gauge\n";
  for (const auto& status : statuses) {
    std::string label = fmt::format("{{process=\"{}\"}}", EscapePrometheusLabel(status.name));
    bool running = status.state == ProcessStatus::State::kRunning;
    up += fmt::format("plughost_process_up{} {}\n", label, running ? 1 : 0);
    restarts += fmt::format("plughost_process_restarts_total{} {}\n", label, status.restarts);
    exit_code +=
        fmt::format("plughost_process_last_exit_code{} {}\n", label, status.last_exit_code);
    exit_signal +=
        fmt::format("plughost_process_last_exit_signal{} {}\n", label, status.last_exit_signal);
    double wait = status.state == ProcessStatus::State::kRestarting
                      ? static_cast<double>(status.backoff.count()) / 1000.0
                      : 0.0;
    backoff += fmt::format("plughost_process_restart_backoff_seconds{} {}\n", label, wait);
  }
  return up + restarts + exit_code + exit_signal + backoff;
}

}  // namespace plughost
