#include "host/processes/process_supervisor.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "host/common/log.h"
#include "host/processes/output_pipes.h"
#include "host/processes/spawn.h"

namespace plughost {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kScope = "processes";
// After every child is reaped, output still in the pipes (or held by a grandchild that left
// the group) is read for at most this long.
constexpr std::chrono::milliseconds kPipeDrain{500};
// Without pidfd (kernels before 5.3), exits are found by polling this often.
constexpr std::chrono::milliseconds kReapPoll{50};

std::string AbsoluteFolder(const std::string& folder) {
  std::string path = folder;
  if (path.empty() || path[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) != nullptr) path = std::string(cwd) + "/" + path;
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::strsignal(WTERMSIG(status));
    return fmt::format("signal {} ({})", WTERMSIG(status), name ? name : "unknown");
  }
  return fmt::format("wait status {}", status);
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

std::string JoinCommand(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) text += (text.empty() ? "" : " ") + arg;
  return text;
}

}  // namespace

class ProcessSupervisor::Impl {
 public:
  Impl(std::vector<ProcessSpec> specs, ProcessSupervisorOptions options)
      : options_(std::move(options)), output_(options_.max_line_bytes) {
    options_.sockets_dir = AbsoluteFolder(options_.sockets_dir);
    for (auto& spec : specs) {
      Managed managed(std::move(spec), options_.restart_backoff);
      managed.plan = PlanLaunch(managed.spec, options_.sockets_dir);
      managed.socket = ProcessSocketPath(options_.sockets_dir, managed.spec.name);
      managed.scope = "process/" + managed.spec.name;
      ProcessStatus status;
      status.name = managed.spec.name;
      statuses_.push_back({std::move(status), {}});
      processes_.push_back(std::move(managed));
    }
  }

  ~Impl() {
    for (int fd : {epoll_fd_, wake_fd_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  absl::Status Start() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      return absl::InternalError(std::string("processes: epoll/eventfd: ") + std::strerror(errno));
    }
    Watch(wake_fd_);
    thread_ = std::thread([this] { Run(); });
    absl::MutexLock lock(&mutex_);
    mutex_.Await(absl::Condition(&started_));
    return absl::OkStatus();
  }

  void Stop(std::chrono::milliseconds grace) {
    absl::MutexLock stop_lock(&stop_mutex_);
    {
      absl::MutexLock lock(&mutex_);
      if (!stop_requested_) grace_ = grace;
      stop_requested_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  std::vector<ProcessStatus> Snapshot() const {
    absl::MutexLock lock(&mutex_);
    auto now = Clock::now();
    std::vector<ProcessStatus> out;
    for (const auto& entry : statuses_) {
      out.push_back(entry.status);
      if (entry.status.state == ProcessStatus::State::kRestarting) {
        out.back().next_restart_in =
            std::max(std::chrono::milliseconds(0),
                     std::chrono::duration_cast<std::chrono::milliseconds>(entry.restart_at - now));
      }
    }
    return out;
  }

  std::string SocketPathOf(const std::string& name) const {
    return ProcessSocketPath(options_.sockets_dir, name);
  }
  const std::string& sockets_dir() const { return options_.sockets_dir; }

 private:
  // A declared process and its current child; touched by the loop thread only.
  struct Managed {
    Managed(ProcessSpec declared, Backoff::Options backoff_options)
        : spec(std::move(declared)), backoff(backoff_options) {}
    ProcessSpec spec;
    LaunchPlan plan;
    std::string socket;
    Backoff backoff;
    std::string scope;
    pid_t pid = 0;  // 0: no child to reap
    int pidfd = -1;
    Clock::time_point started_at;
    std::optional<Clock::time_point> restart_at;
  };
  struct StatusEntry {
    ProcessStatus status;
    Clock::time_point restart_at;
  };

  void Watch(int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }
  void Unwatch(int fd) { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

  void Wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }

  template <typename Change>
  void UpdateStatus(size_t index, Change&& change) {
    absl::MutexLock lock(&mutex_);
    change(statuses_[index]);
  }

  void Run() {
    for (size_t i = 0; i < processes_.size(); ++i) Spawn(i);
    {
      absl::MutexLock lock(&mutex_);
      started_ = true;
    }
    std::optional<Clock::time_point> kill_at, drain_until;
    bool killed = false;
    epoll_event events[64];
    while (true) {
      auto now = Clock::now();
      std::optional<Clock::time_point> next;
      auto consider = [&next](std::optional<Clock::time_point> at) {
        if (at && (!next || *at < *next)) next = at;
      };
      for (const auto& managed : processes_) consider(managed.restart_at);
      if (!killed) consider(kill_at);
      consider(drain_until);
      bool polling = false;
      for (const auto& managed : processes_)
        polling = polling || (managed.pid > 0 && managed.pidfd < 0);
      if (polling) consider(now + kReapPoll);
      int timeout = -1;
      if (next) {
        timeout = static_cast<int>(std::max<int64_t>(
            0, std::chrono::ceil<std::chrono::milliseconds>(*next - now).count()));
      }
      int n = ::epoll_wait(epoll_fd_, events, static_cast<int>(std::size(events)), timeout);
      for (int e = 0; e < n; ++e) {
        int fd = events[e].data.fd;
        if (fd == wake_fd_) {
          uint64_t count;
          [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
        } else if (output_.Owns(fd)) {
          if (!output_.Read(fd)) {
            Unwatch(fd);
            output_.Close(fd);
          }
        } else {
          for (size_t i = 0; i < processes_.size(); ++i) {
            if (processes_[i].pidfd == fd) TryReap(i);
          }
        }
      }
      if (polling) {
        for (size_t i = 0; i < processes_.size(); ++i) {
          if (processes_[i].pid > 0 && processes_[i].pidfd < 0) TryReap(i);
        }
      }
      now = Clock::now();
      if (!stopping_) {
        std::optional<std::chrono::milliseconds> grace;
        {
          absl::MutexLock lock(&mutex_);
          if (stop_requested_) grace = grace_;
        }
        if (grace) {
          BeginStop(*grace);
          kill_at = now + *grace;
        }
      }
      if (!stopping_) {
        for (size_t i = 0; i < processes_.size(); ++i) {
          if (processes_[i].restart_at && *processes_[i].restart_at <= now) Spawn(i);
        }
        continue;
      }
      bool all_reaped = true;
      for (const auto& managed : processes_) all_reaped = all_reaped && managed.pid == 0;
      if (!all_reaped && !killed && kill_at && now >= *kill_at) {
        KillRemaining();
        killed = true;
      }
      if (all_reaped) {
        if (!drain_until) drain_until = now + kPipeDrain;
        if (output_.empty() || now >= *drain_until) break;
      }
    }
    output_.CloseAll();
    ::close(epoll_fd_);
    ::close(wake_fd_);
    epoll_fd_ = wake_fd_ = -1;
  }

  void Spawn(size_t index) {
    Managed& managed = processes_[index];
    managed.restart_at.reset();
    auto child = SpawnChild(managed.plan);
    managed.started_at = Clock::now();
    if (!child.ok()) {
      std::string reason(child.status().message());
      PH_LOG_ERROR(kScope, "process '{}': {}", managed.spec.name, reason);
      UpdateStatus(index, [](StatusEntry& entry) {
        if (entry.status.starts++ > 0) ++entry.status.restarts;
      });
      Ended(index, reason, 127, 0);
      return;
    }
    managed.pid = child->pid;
    managed.pidfd = PidfdOpen(child->pid);
    if (managed.pidfd >= 0) Watch(managed.pidfd);
    for (int fd : {child->stdout_fd, child->stderr_fd}) {
      output_.Add(fd, managed.scope);
      Watch(fd);
    }
    uint64_t restarts = 0;
    UpdateStatus(index, [&](StatusEntry& entry) {
      if (entry.status.starts++ > 0) ++entry.status.restarts;
      entry.status.state = ProcessStatus::State::kRunning;
      entry.status.pid = child->pid;
      restarts = entry.status.restarts;
    });
    PH_LOG_INFO(kScope, "process '{}' started (pid {}{}): {}", managed.spec.name, child->pid,
                restarts > 0 ? fmt::format(", restart {}", restarts) : "",
                JoinCommand(managed.plan.argv));
  }

  void TryReap(size_t index) {
    Managed& managed = processes_[index];
    if (managed.pid <= 0) return;
    int status = 0;
    pid_t r = ::waitpid(managed.pid, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) return;
    if (managed.pidfd >= 0) {
      Unwatch(managed.pidfd);
      ::close(managed.pidfd);
      managed.pidfd = -1;
    }
    managed.pid = 0;
    if (r < 0) {  // ECHILD: someone else reaped it; the status is lost
      Ended(index, "ended (status unknown)", -1, 0);
      return;
    }
    Ended(index, DescribeWaitStatus(status), WIFEXITED(status) ? WEXITSTATUS(status) : -1,
          WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }

  // The child of `index` ended (or never started): record it and decide what comes next.
  void Ended(size_t index, const std::string& how, int exit_code, int exit_signal) {
    Managed& managed = processes_[index];
    auto now = Clock::now();
    auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(now - managed.started_at);
    // A killed child leaves its socket file; removing it tells hot-plug the instance is gone.
    RemoveStaleSocket(managed.socket);
    using State = ProcessStatus::State;
    State next_state;
    bool failed = exit_code != 0;
    if (stopping_) {
      next_state = State::kStopped;
    } else if (managed.spec.restart == ProcessSpec::Restart::kNever ||
               (managed.spec.restart == ProcessSpec::Restart::kOnFailure && !failed)) {
      next_state = failed ? State::kFailed : State::kExited;
    } else {
      next_state = State::kRestarting;
    }
    std::chrono::milliseconds delay{0};
    bool at_cap = false;
    if (next_state == State::kRestarting) {
      if (ran >= options_.stable_after) managed.backoff.Reset();
      at_cap = managed.backoff.current() >= managed.backoff.options().max;
      delay = managed.backoff.NextDelay();
      managed.restart_at = now + delay;
    }
    UpdateStatus(index, [&](StatusEntry& entry) {
      entry.status.state = next_state;
      entry.status.pid = 0;
      entry.status.last_exit = how;
      entry.status.last_exit_code = exit_code;
      entry.status.last_exit_signal = exit_signal;
      entry.status.backoff = delay;
      entry.status.backoff_at_cap = at_cap;
      entry.restart_at = now + delay;
    });
    if (next_state == State::kStopped) {
      PH_LOG_INFO(kScope, "process '{}' stopped: {}", managed.spec.name, how);
    } else if (next_state == State::kRestarting) {
      PH_LOG_WARN(kScope, "process '{}' ended after {} ms: {}; starting it again in {} ms{}",
                  managed.spec.name, ran.count(), how, delay.count(),
                  at_cap ? " (it keeps failing: backoff at its cap)" : "");
    } else {
      PH_LOG_WARN(kScope, "process '{}' ended: {}; not restarted (restart: {})", managed.spec.name,
                  how,
                  managed.spec.restart == ProcessSpec::Restart::kNever ? "never" : "on-failure");
    }
  }

  void BeginStop(std::chrono::milliseconds grace) {
    stopping_ = true;
    size_t running = 0;
    for (size_t i = 0; i < processes_.size(); ++i) {
      Managed& managed = processes_[i];
      if (managed.restart_at) {
        managed.restart_at.reset();
        UpdateStatus(
            i, [](StatusEntry& entry) { entry.status.state = ProcessStatus::State::kStopped; });
      }
      if (managed.pid > 0) {
        ++running;
        ::kill(-managed.pid, SIGTERM);
      }
    }
    if (running > 0) {
      PH_LOG_INFO(kScope, "stopping {} process(es): SIGTERM now, SIGKILL after {} ms", running,
                  grace.count());
    }
  }

  void KillRemaining() {
    for (const auto& managed : processes_) {
      if (managed.pid <= 0) continue;
      PH_LOG_WARN(kScope, "process '{}' (pid {}) still running after the grace period: SIGKILL",
                  managed.spec.name, managed.pid);
      ::kill(-managed.pid, SIGKILL);
      ::kill(managed.pid, SIGKILL);  // in case it left its group
    }
  }

  ProcessSupervisorOptions options_;
  std::vector<Managed> processes_;  // loop thread only (after construction)
  OutputPipes output_;              // the children's stdout and stderr; loop thread only
  bool stopping_ = false;           // loop thread only
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  absl::Mutex stop_mutex_;  // one Stop at a time

  mutable absl::Mutex mutex_;
  std::vector<StatusEntry> statuses_ ABSL_GUARDED_BY(mutex_);
  bool started_ ABSL_GUARDED_BY(mutex_) = false;
  bool stop_requested_ ABSL_GUARDED_BY(mutex_) = false;
  std::chrono::milliseconds grace_ ABSL_GUARDED_BY(mutex_){0};
};

ProcessSupervisor::ProcessSupervisor(std::vector<ProcessSpec> specs,
                                     ProcessSupervisorOptions options)
    : impl_(std::make_shared<Impl>(std::move(specs), std::move(options))) {}

ProcessSupervisor::~ProcessSupervisor() { impl_->Stop(std::chrono::milliseconds(0)); }

absl::Status ProcessSupervisor::Start() { return impl_->Start(); }

void ProcessSupervisor::Stop(std::chrono::milliseconds grace) { impl_->Stop(grace); }

std::vector<ProcessStatus> ProcessSupervisor::Snapshot() const { return impl_->Snapshot(); }

std::string ProcessSupervisor::SocketPathOf(const std::string& name) const {
  return impl_->SocketPathOf(name);
}

const std::string& ProcessSupervisor::sockets_dir() const { return impl_->sockets_dir(); }

}  // namespace plughost
