// `plughost conformance`: checks a component socket the way the host will use it. It discovers
// what the socket serves (reflection), creates instances through the host's own adapters
// (wrappers/), and runs each kind's suite, printing one PASS / FAIL / SKIP line per case and a
// summary. See docs/component-authors.md.
#pragma once

#include <chrono>
#include <map>
#include <ostream>
#include <set>
#include <string>

namespace plughost {

struct ConformanceOptions {
  std::string socket;                           // the component's Unix socket
  std::string kind;                             // a type prefix ("state", ...); empty: every kind
  std::map<std::string, std::string> metadata;  // Init metadata for every instance
  // Optional operations to test, as listed in Dapr's conformance configs (e.g. "first-write");
  // cases of operations not listed are reported as skipped.
  std::set<std::string> operations;
  std::chrono::milliseconds probe_timeout{5000};
};

// Exit codes: 0 every case passed or was skipped; 1 a case failed; 2 bad usage, or a socket that
// cannot be reached or serves nothing to test (the reason is printed).
int RunConformance(const ConformanceOptions& options, std::ostream& out);

}  // namespace plughost
