#include "host/processes/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "absl/status/status.h"

extern char** environ;

namespace plughost {
namespace {

// The first PATH entry holding an executable `name`; `name` itself when none does (exec then
// reports ENOENT) or when it already names a path.
std::string ResolveProgram(const std::string& name, const std::string& path_variable) {
  if (name.find('/') != std::string::npos) return name;
  size_t start = 0;
  while (start <= path_variable.size()) {
    size_t end = path_variable.find(':', start);
    if (end == std::string::npos) end = path_variable.size();
    // An empty entry means the current directory.
    std::string candidate =
        (end > start ? path_variable.substr(start, end - start) : std::string(".")) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return name;
}

void CloseIfOpen(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// In the child between fork and exec only async-signal-safe calls are allowed (the host has
// many threads and their locks); everything below is a plain system call.
[[noreturn]] void ExecChild(const LaunchPlan& plan, char* const* argv, char* const* envp,
                            pid_t parent, int out_fd, int err_fd, int error_fd) {
  auto fail = [error_fd](int code) {
    int error = errno;
    [[maybe_unused]] auto n = ::write(error_fd, &error, sizeof error);
    _exit(code);
  };
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The host may have died before the line above: then nobody would send the signal.
  if (::getppid() != parent) _exit(1);
  // The host blocks SIGTERM and SIGINT for its signal thread and may ignore SIGPIPE; the child
  // starts with neither.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    if (signal_number == SIGKILL || signal_number == SIGSTOP) continue;
    ::sigaction(signal_number, &default_action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 ||
      ::dup2(err_fd, STDERR_FILENO) < 0) {
    fail(127);
  }
  // Everything else the host has open stays with the host (close-on-exec for all of it, so the
  // error pipe still reports a failed exec).
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0)
#endif
  {
    for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (!plan.workdir.empty() && ::chdir(plan.workdir.c_str()) != 0) fail(126);
  ::execve(plan.program.c_str(), argv, envp);
  fail(127);
  _exit(127);
}

}  // namespace

std::string ExpandPlaceholders(std::string_view text, std::string_view socket,
                               std::string_view sockets_dir) {
  static constexpr std::string_view kSocket = "{socket}";
  static constexpr std::string_view kSocketsDir = "{sockets_dir}";
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, kSocket.size()) == kSocket) {
      out += socket;
      i += kSocket.size();
    } else if (text.substr(i, kSocketsDir.size()) == kSocketsDir) {
      out += sockets_dir;
      i += kSocketsDir.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string ProcessSocketPath(const std::string& sockets_dir, const std::string& name) {
  return sockets_dir + "/" + name + ".sock";
}

LaunchPlan PlanLaunch(const ProcessSpec& spec, const std::string& sockets_dir) {
  const std::string socket = ProcessSocketPath(sockets_dir, spec.name);
  LaunchPlan plan;
  for (const auto& arg : spec.command)
    plan.argv.push_back(ExpandPlaceholders(arg, socket, sockets_dir));
  plan.workdir = ExpandPlaceholders(spec.workdir, socket, sockets_dir);

  std::map<std::string, std::string> added;
  // Every variable a component written for daprd, Layotto or plughost may read.
  for (const char* name : kSocketsFolderVariables) added[name] = sockets_dir;
  for (const auto& [name, value] : spec.env)
    added[name] = ExpandPlaceholders(value, socket, sockets_dir);
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (added.count(std::string(text.substr(0, text.find('='))))) continue;
    plan.env.emplace_back(text);
  }
  for (const auto& [name, value] : added) {
    std::string entry = name;
    entry += '=';
    entry += value;
    plan.env.push_back(std::move(entry));
  }

  // The child's own PATH (when its env sets one) decides where a bare program name is found.
  std::string path_variable = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& entry : plan.env) {
    if (entry.rfind("PATH=", 0) == 0) path_variable = entry.substr(5);
  }
  plan.program = plan.argv.empty() ? "" : ResolveProgram(plan.argv[0], path_variable);
  return plan;
}

absl::StatusOr<Child> SpawnChild(const LaunchPlan& plan) {
  if (plan.argv.empty()) return absl::InvalidArgumentError("empty command");
  // Everything the child needs is built before fork: it may not allocate afterwards.
  std::vector<char*> argv, envp;
  for (const auto& arg : plan.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  for (const auto& entry : plan.env) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  int out[2] = {-1, -1}, err[2] = {-1, -1}, error_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int* fd : {&out[0], &out[1], &err[0], &err[1], &error_pipe[0], &error_pipe[1]}) {
      CloseIfOpen(*fd);
    }
  };
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
      ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    close_all();
    return absl::ResourceExhaustedError(std::string("pipe: ") + std::strerror(error));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int error = errno;
    close_all();
    return absl::ResourceExhaustedError(std::string("fork: ") + std::strerror(error));
  }
  if (pid == 0) ExecChild(plan, argv.data(), envp.data(), parent, out[1], err[1], error_pipe[1]);

  // Also from here, so the group exists before anyone signals it (whichever runs first wins).
  ::setpgid(pid, pid);
  CloseIfOpen(out[1]);
  CloseIfOpen(err[1]);
  CloseIfOpen(error_pipe[1]);
  // A successful exec closes the error pipe (close-on-exec) without writing to it.
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  CloseIfOpen(error_pipe[0]);
  if (n == sizeof child_errno) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close_all();
    bool in_chdir = WIFEXITED(status) && WEXITSTATUS(status) == 126;
    return absl::FailedPreconditionError(
        in_chdir ? "cannot enter workdir " + plan.workdir + ": " + std::strerror(child_errno)
                 : "cannot execute " + plan.program + ": " + std::strerror(child_errno));
  }
  for (int fd : {out[0], err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  Child child;
  child.pid = pid;
  child.stdout_fd = out[0];
  child.stderr_fd = err[0];
  return child;
}

namespace {

// connect() to a Unix socket: 0 when a server accepts, else the errno.
int ConnectError(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return ENAMETOOLONG;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int result =
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 ? 0 : errno;
  ::close(fd);
  return result;
}

}  // namespace

bool SocketAcceptsConnections(const std::string& path) { return ConnectError(path) == 0; }

bool RemoveStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  if (ConnectError(path) != ECONNREFUSED) return false;
  return ::unlink(path.c_str()) == 0;
}

}  // namespace plughost
