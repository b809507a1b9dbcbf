// Discovery of pluggable components: list a socket folder, then ask every socket, in parallel
// and each under its own deadline, which gRPC services it serves (server reflection v1alpha,
// falling back to v1).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

#include "host/common/callback.h"
#include "host/components/kind.h"

namespace plughost {

struct DiscoveredSocket {
  std::string path;                   // absolute or as given, e.g. "sockets/redis.sock"
  std::string name;                   // file name minus extension: "redis"
  std::vector<std::string> services;  // every service reflection listed
  std::vector<ComponentKind> kinds;   // the kinds those services map to (may be empty)
};

struct SkippedEntry {
  std::string path;
  std::string reason;  // one line, e.g. "not a socket (regular file)", "no reflection service"
};

struct DiscoveryResult {
  std::vector<DiscoveredSocket> components;  // sockets serving at least one known kind
  std::vector<SkippedEntry> skipped;         // everything else, each with its reason
  // Sockets whose probe was still running when discovery settled (see settle_after): neither
  // good nor bad yet. The host hands them to hot-plug, which probes them in the background.
  std::vector<std::string> pending;
  std::chrono::milliseconds elapsed{0};
};

struct DiscoveryOptions {
  std::string folder;
  std::chrono::milliseconds probe_timeout{2000};
  // Startup should not wait a full probe deadline for a socket that does not answer. Once
  // `settle_after` has passed, discovery still waits for sockets that completed the HTTP/2
  // handshake (gRPC servers, however slow), then returns and lists the rest (listeners that
  // never spoke) as `pending` - unless `enough` says a socket still needed has not answered, in
  // which case it waits for every probe. Zero (the default) always waits for every probe.
  std::chrono::milliseconds settle_after{0};
  std::function<bool(const std::vector<DiscoveredSocket>&)> enough;
  bool log = true;  // one log line per registered component and per skipped entry
};

// Scans `options.folder` (a missing folder gives an empty result) and probes every socket
// concurrently. Blocks until every probe has finished or hit its deadline, or until it settles
// early (see DiscoveryOptions::settle_after); never throws.
DiscoveryResult DiscoverComponents(const DiscoveryOptions& options);

// Lists the services of one socket by reflection (v1alpha, then v1 on UNIMPLEMENTED).
// `done` runs once, on a gRPC thread, with the services or the reason it failed.
// `channel`, when given, receives the probe's channel (before `done` can run), so a caller can
// tell a socket that completed the HTTP/2 handshake (READY: a gRPC server, maybe slow) from one
// that never spoke (a hung listener).
void ProbeSocket(const std::string& path, std::chrono::milliseconds timeout,
                 Callback<std::vector<std::string>> done,
                 std::shared_ptr<grpc::Channel>* channel = nullptr);

// The folder to scan when none is given on the command line: PLUGHOST_SOCKETS_DIR, else
// DAPR_COMPONENTS_SOCKETS_FOLDER, else DAPR_COMPONENT_SOCKETS_FOLDER (an older spelling some
// components use), else Layotto's LAYOTTO_COMPONENTS_SOCKETS_FOLDER, else
// /tmp/dapr-components-sockets.
std::string DefaultSocketsFolder();

}  // namespace plughost
