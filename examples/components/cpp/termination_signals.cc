#include "examples/components/cpp/termination_signals.h"

#include <pthread.h>
#include <signal.h>

namespace plughost::sample {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSet();
  int signal_number = 0;
  // sigwait only fails for an invalid set; loop anyway so a spurious return cannot stop us.
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

}  // namespace plughost::sample
