// A closed-loop load generator on gRPC's callback API: `in_flight` slots, each re-issuing its
// next call from the previous call's completion callback, so no thread waits on a call.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace plughost::bench {

// Starts one call on `context`; `done` runs exactly once with the call's outcome (a call whose
// response is wrong should report a non-OK status). Must not block.
using StartCall =
    std::function<void(grpc::ClientContext* context, std::function<void(grpc::Status)> done)>;
// Makes the StartCall of slot `index`. Each slot owns its own request and response messages,
// which are reused call after call, so the generator allocates no messages per call.
using SlotFactory = std::function<StartCall(int index)>;

struct LoadSpec {
  int in_flight = 1;
  int64_t max_calls = 0;                  // 0: no call limit
  std::chrono::milliseconds duration{0};  // 0: no time limit (neither set: nothing is run)
  std::chrono::milliseconds call_timeout{10000};
};

// Outcome of one or more runs of the same case; runs are merged so that cases measured in
// interleaved rounds are compared over the same stretch of time.
struct LoadResult {
  std::vector<int64_t> latencies_ns;  // successful calls only
  int64_t calls = 0;                  // completed, successful or not
  int64_t errors = 0;
  std::string first_error;  // "code N: message" of the first failed call
  grpc::StatusCode first_error_code = grpc::StatusCode::OK;
  std::chrono::nanoseconds wall{0};

  void Merge(LoadResult&& other);
};

// Blocks until every slot has stopped: when max_calls have been issued or the duration has
// passed. Never throws.
LoadResult RunLoad(const LoadSpec& spec, const SlotFactory& make_slot);

struct LatencySummary {
  int64_t calls = 0;
  int64_t errors = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double calls_per_second = 0;
};

// Sorts `result.latencies_ns` in place.
LatencySummary Summarize(LoadResult& result);

}  // namespace plughost::bench
