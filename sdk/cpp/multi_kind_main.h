// main() for a component process that serves several kinds, one socket each
// (<prefix>-<kind>.sock in the socket folder), as plughost-redis and plughost-mqtt do:
// flags --sockets-dir, --prefix, --kinds; serves until SIGTERM/SIGINT, then shuts down.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sdk/cpp/component_server.h"

namespace plughost::sdk {

struct MultiKindProgram {
  std::string name;                // "plughost-redis": the prefix of every message
  std::string default_prefix;      // "redis": sockets are <prefix>-<kind>.sock
  std::vector<std::string> kinds;  // every kind it serves, in --help order
  // Adds the services of `kind` (one of `kinds`) to `server`.
  std::function<void(ComponentServer& server, const std::string& kind)> add_kind;
};

// The whole main(): exit 0 after a clean stop, 1 when a socket cannot be served, 2 on bad usage.
int RunMultiKindProgram(const MultiKindProgram& program, int argc, char** argv);

}  // namespace plughost::sdk
