// The Dapr HTTP API beside the gRPC API: state get and save on the built-in and the pluggable
// store, and publish, through one host, with the same client model on both (N threads, each a
// closed loop on its own keep-alive HTTP connection, or on one shared gRPC channel).
#pragma once

#include "bench/options.h"

namespace plughost::bench {

// Prints p50/p99 and calls/s per case and the HTTP/gRPC ratios. Returns false only if the
// harness failed (a process did not start, a call failed).
bool RunHttpBench(const BenchOptions& options);

}  // namespace plughost::bench
