// Parsing and preparing the address the host listens on: "host:port" or "unix:/path".
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace plughost {

struct ListenAddress {
  bool is_unix = false;
  std::string host;         // TCP only
  int port = 0;             // TCP only
  std::string unix_path;    // Unix only
  std::string grpc_target;  // what ServerBuilder::AddListeningPort takes
};

// Parses `address`. For a Unix socket, refuses a path another live process is serving
// (gRPC would silently steal it) and removes a stale socket file left by a dead one.
absl::StatusOr<ListenAddress> PrepareListenAddress(const std::string& address);

}  // namespace plughost
