#include "sdk/cpp/termination_signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

namespace plughost::sdk {
namespace {

// Written by the handler, read by WaitForTermination. -1 until installed.
int pipe_read_fd = -1;
int pipe_write_fd = -1;

void WriteToPipe(int signal_number) {
  int saved_errno = errno;  // a handler must leave errno as it found it
  unsigned char byte = static_cast<unsigned char>(signal_number);
  // Non-blocking: if the pipe is somehow full, a wake-up is already pending.
  [[maybe_unused]] ssize_t written = write(pipe_write_fd, &byte, 1);
  errno = saved_errno;
}

void OnTerminationSignal(int signal_number) {
  WriteToPipe(signal_number);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigaction(signal_number, &default_action, nullptr);
}

absl::Status Install() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::ErrnoToStatus(
        errno, std::string("cannot create the signal pipe: ") + std::strerror(errno));
  }
  fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  pipe_read_fd = fds[0];
  pipe_write_fd = fds[1];
  struct sigaction action {};
  action.sa_handler = OnTerminationSignal;
  sigemptyset(&action.sa_mask);
  // Restart interrupted system calls, so gRPC's threads see as few EINTRs as possible.
  action.sa_flags = SA_RESTART;
  for (int signal_number : {SIGINT, SIGTERM}) {
    if (sigaction(signal_number, &action, nullptr) != 0) {
      return absl::ErrnoToStatus(errno,
                                 std::string("cannot handle signal: ") + std::strerror(errno));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InstallTerminationHandlers() {
  static std::once_flag once;
  static absl::Status installed;
  std::call_once(once, [] { installed = Install(); });
  return installed;
}

int WaitForTermination() {
  if (pipe_read_fd < 0) return 0;
  unsigned char byte = 0;
  while (true) {
    ssize_t got = read(pipe_read_fd, &byte, 1);
    if (got == 1) return byte;
    if (got < 0 && errno == EINTR) continue;
    return 0;  // the pipe cannot close while we hold it; stop rather than spin if it does
  }
}

void RequestTermination() {
  if (pipe_write_fd >= 0) WriteToPipe(0);
}

}  // namespace plughost::sdk
