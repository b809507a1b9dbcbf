// Graceful stop on SIGINT/SIGTERM. The handler only writes the signal number to a pipe (the one
// thing a handler may safely do), so it works whichever thread the kernel picks, including
// threads gRPC started before the handler was installed; the main thread reads the pipe.
#pragma once

#include "absl/status/status.h"

namespace plughost::sdk {

// Installs the handlers once per process; later calls do nothing. After the first signal the
// default action comes back, so a second Ctrl-C kills a component stuck in its shutdown.
absl::Status InstallTerminationHandlers();

// Blocks until SIGINT or SIGTERM arrives (or RequestTermination() is called) and returns the
// signal number (0 for RequestTermination). Needs InstallTerminationHandlers() first.
int WaitForTermination();

// Wakes WaitForTermination() as if a signal had arrived: lets a component stop itself (or a
// test stop a server) through the same path. Safe from any thread and from signal handlers.
void RequestTermination();

}  // namespace plughost::sdk
