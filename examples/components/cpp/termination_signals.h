// Graceful stop on SIGINT/SIGTERM without doing work in a signal handler: the signals are
// blocked in every thread and the main thread takes them synchronously with sigwait.
#pragma once

namespace plughost::sample {

// Call first in main, before any thread (gRPC's included) starts: threads inherit the mask, so
// no thread ever runs a default handler that would kill the process before cleanup.
void BlockTerminationSignals();

// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace plughost::sample
