// How the host reaches the app, as GetMetadata reports it (appConnectionProperties), gRPC and
// HTTP alike: the HTTP API renders the gRPC answer.
#pragma once

#include <string>

#include "dapr/proto/runtime/v1/dapr.pb.h"
#include "host/app_callback/app_health.h"

namespace plughost {

struct AppConnectionSettings {
  // --app-address: "host:port", "[v6]:port" or "unix:/path"; empty when there is no app.
  std::string app_address;
  std::string protocol = "grpc";  // --app-protocol: "grpc" or "http"
  bool health_check = false;      // --enable-app-health-check
  std::string health_check_path = "/healthz";
  AppHealthOptions health;
  int max_concurrency = 0;  // 0: no limit (the host has none today)
};

// daprd's rules (pkg/api/universal/metadata.go): protocol and channel address are always
// there (the channel address defaults to daprd's 127.0.0.1 when there is no app); the port
// is set only when there is one; health only when health checks are on, its path only for an
// HTTP app, its durations in Go's syntax. An address that is not host:port (a Unix socket)
// is reported whole as the channel address, without a port.
dapr::proto::runtime::v1::AppConnectionProperties AppConnectionPropertiesFor(
    const AppConnectionSettings& settings);

}  // namespace plughost
