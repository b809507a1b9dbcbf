// plughost's entry point: parse flags, then serve (or list components) until a signal.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "host/app/cli.h"
#include "host/app/components_command.h"
#include "host/app/open_file_limit.h"
#include "host/common/log.h"
#include "common/startup_pages.h"
#include "host/runtime/host.h"

int main(int argc, char** argv) {
  // Debian builds abseil without NDEBUG, so every absl::Mutex gRPC takes runs the deadlock
  // detector (about 7% of the host's CPU under load, see bench/RESULTS.md). It only diagnoses
  // bugs in lock ordering; production hosts do without it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Signals are taken by one thread with sigwait, so block them before gRPC starts threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto parsed = plughost::ParseCommandLine(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "plughost: %s\nRun 'plughost --help' for usage.\n",
                 std::string(parsed.status().message()).c_str());
    return 2;
  }
  const plughost::CliOptions& options = *parsed;
  switch (options.command) {
    case plughost::Command::kHelp:
      std::fputs(plughost::UsageText(options.help_for).c_str(), stdout);
      return 0;
    case plughost::Command::kVersion:
      std::printf("plughost %s\n", PLUGHOST_VERSION);
      return 0;
    case plughost::Command::kComponents:
      return plughost::RunComponentsCommand(options, stdout);
    case plughost::Command::kConformance:
      return plughost::RunConformance(options.conformance, std::cout);
    case plughost::Command::kServe:
      break;
  }

  plughost::log::Level level = plughost::log::Level::kInfo;
  plughost::log::ParseLevel(options.log_level, &level);
  plughost::log::SetLevel(level);
  plughost::log::SetJsonFormat(options.log_format == "json");
  plughost::RaiseOpenFileLimit();

  plughost::StartupError error{0, ""};
  auto host = plughost::Host::Start(options.host, &error);
  if (!host) {
    std::fprintf(stderr, "plughost: %s\n", error.message.c_str());
    return error.exit_code;
  }

  // Start-up is over: what it alone touched goes back (common/startup_pages.h).
  auto released = plughost::ReleaseStartupPages();
  PH_LOG_DEBUG("host", "start-up pages released: {:.1f} MB of code and read-only data",
               static_cast<double>(released.code_bytes) / (1024.0 * 1024.0));

  std::thread signal_thread([&host, signals] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    PH_LOG_INFO("host", "signal {} received; stopping (send it again to exit at once)",
                signal_number);
    host->RequestShutdown();
    sigwait(&signals, &signal_number);
    _exit(1);
  });
  signal_thread.detach();

  host->Wait();
  return 0;
}
