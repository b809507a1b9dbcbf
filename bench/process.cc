#include "bench/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace plughost::bench {

std::unique_ptr<ChildProcess> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                  const std::string& log_path, std::string* error,
                                                  const std::map<std::string, std::string>& env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (env.count(entry.substr(0, entry.find('='))) == 0) env_strings.push_back(std::move(entry));
  }
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  std::vector<char*> args;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Children must not inherit a signal mask (a test runner may block SIGTERM): they are
  // stopped with SIGTERM.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return nullptr;
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, log_path));
}

ChildProcess::~ChildProcess() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool ChildProcess::Running() { return !WaitExit(std::chrono::milliseconds(0)).has_value(); }

void ChildProcess::Signal(int signal_number) const {
  if (!exit_code_) ::kill(pid_, signal_number);
}

std::optional<int> ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    // Short sleeps: the discovery figure times `plughost components` through this loop.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  Signal(SIGTERM);
  if (auto code = WaitExit(grace)) return *code;
  Signal(SIGKILL);
  return WaitExit(std::chrono::seconds(5)).value_or(-1);
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ChildProcess::LogTail(size_t max_bytes) const {
  std::string log = Log();
  return log.size() <= max_bytes ? log : "..." + log.substr(log.size() - max_bytes);
}

TempDir::TempDir() {
  char templ[] = "/tmp/phb.XXXXXX";
  if (char* made = ::mkdtemp(templ)) {
    path_ = made;
    // The host refuses a socket folder any user can write to; mkdtemp gives 0700 already.
    ::chmod(path_.c_str(), 0750);
  }
}

TempDir::~TempDir() {
  if (path_.empty() || keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

bool ConnectOnce(int family, const sockaddr* addr, socklen_t len) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, addr, len) == 0;
  ::close(fd);
  return ok;
}

template <typename Probe>
bool PollUntil(Probe probe, std::chrono::milliseconds timeout, ChildProcess* owner) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    if (owner != nullptr && !owner->Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

bool WaitForUnixSocket(const std::string& path, std::chrono::milliseconds timeout,
                       ChildProcess* owner) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return PollUntil(
      [&] { return ConnectOnce(AF_UNIX, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)); },
      timeout, owner);
}

bool WaitForTcpPort(int port, std::chrono::milliseconds timeout, ChildProcess* owner) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return PollUntil(
      [&] { return ConnectOnce(AF_INET, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)); },
      timeout, owner);
}

int FreeTcpPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool MakeDir(const std::string& path) {
  return ::mkdir(path.c_str(), 0750) == 0 || errno == EEXIST;
}

bool WriteTextFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  return static_cast<bool>(out);
}

ProcStatus ReadProcStatus(int pid) {
  ProcStatus status;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    long* target = nullptr;
    if (line.rfind("VmRSS:", 0) == 0) target = &status.rss_kb;
    if (line.rfind("VmHWM:", 0) == 0) target = &status.hwm_kb;
    if (line.rfind("RssAnon:", 0) == 0) target = &status.anon_kb;
    if (line.rfind("RssFile:", 0) == 0) target = &status.file_kb;
    if (line.rfind("Threads:", 0) == 0) target = &status.threads;
    if (target != nullptr) *target = std::strtol(line.c_str() + line.find(':') + 1, nullptr, 10);
  }
  std::ifstream rollup("/proc/" + std::to_string(pid) + "/smaps_rollup");
  while (std::getline(rollup, line)) {
    if (line.rfind("Pss:", 0) == 0) status.pss_kb = std::strtol(line.c_str() + 4, nullptr, 10);
  }
  return status;
}

double LoadAverage() {
  double load = -1;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1;
    std::fclose(f);
  }
  return load;
}

}  // namespace plughost::bench
