// The host's memory: RSS idle with several component instances, and RSS growth under a
// sustained Get/Save load (the soak).
#pragma once

#include "bench/options.h"

namespace plughost::bench {

// Host RSS idle with `memory_instances` instances of the sample component, after a short
// warm-up of calls to each. Returns false only if the harness failed.
bool RunMemoryBench(const BenchOptions& options);

// `soak` of 32 calls in flight (Get and Save, built-in and pluggable stores) through the host;
// prints RSS at start and end, growth, calls and errors. Returns false if the harness failed
// (failed calls count as a harness failure).
bool RunSoak(const BenchOptions& options);

}  // namespace plughost::bench
