// Latency (p50/p90/p99) and throughput of a state Get along every path product.md §3 compares:
// the bare gRPC echo floor, straight to the sample component, through the host to the sample,
// through the host to its built-in store; plus SaveState and PublishEvent through the host.
#pragma once

#include "bench/options.h"

namespace plughost::bench {

// Prints the table and the §3 ratios. Returns false only if the harness failed: a process did
// not start, or a call failed. Numbers never fail it.
bool RunLatencyBench(const BenchOptions& options);

}  // namespace plughost::bench
