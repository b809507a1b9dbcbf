// Discovery of a socket folder of good, dead and hung sockets: the wall clock of
// `plughost components`, and the host's own figure from its startup log.
#pragma once

#include "bench/options.h"

namespace plughost::bench {

// Returns false only if the harness failed (a process did not start, or its output lacked the
// figure being measured).
bool RunDiscoveryBench(const BenchOptions& options);

}  // namespace plughost::bench
