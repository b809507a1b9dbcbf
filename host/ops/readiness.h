// The body of /readyz. The endpoint is open to anyone who reaches the ops port (also with
// --api-token), so by default it names what is not ready and how (unavailable, initialising
// again, failing its health checks) but never repeats text the host did not write: a
// component's error message can carry anything, from a password it was given to a forged line.
// Asked for (`?verbose`), each line adds the recorded reason, with control characters escaped,
// every Init metadata value of the instance masked and the length bounded.
#pragma once

#include <string>
#include <vector>

namespace plughost {

class InstanceTable;

struct Readiness {
  bool ready = true;
  std::string body;  // "ready\n", or "not ready:\n" and one line per problem
};

// `process_problems`: ReadinessProblems() of the launched processes (host-written text).
Readiness RenderReadiness(const InstanceTable& instances, const std::string& process_problems,
                          bool verbose);

// Lines listed at most; one more says how many were left out.
inline constexpr size_t kMaxReadinessLines = 100;
// Bytes of one instance's recorded reason shown with ?verbose.
inline constexpr size_t kMaxReasonBytes = 200;

}  // namespace plughost
