// Test support for the Dapr HTTP API tests: the real host serving HTTP on a free port, with
// built-in components and the pluggable C++ sample on a real socket.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "test/support/http_client.h"
#include "test/support/running_host.h"

namespace plughost::testing {

// Built-ins under daprd's usual names; the sample (`cpp-sample`) serves every other kind under
// its socket's name, and a secret store `vault`.
inline constexpr char kHttpHostConfig[] = R"({
  "app_id": "http-app",
  "components": [
    {"name": "statestore", "type": "state.in-memory"},
    {"name": "pubsub", "type": "pubsub.in-memory"},
    {"name": "secretstore", "type": "secretstores.local.env", "metadata": {"prefix": "PH_HTTP_"}},
    {"name": "lockstore", "type": "lock.in-memory"},
    {"name": "configstore", "type": "configuration.in-memory"},
    {"name": "files", "type": "bindings.localstorage", "metadata": {"rootPath": "ROOT"}},
    {"name": "vault", "type": "secretstores.cpp-sample",
     "metadata": {"secret.db-password": "pw-from-sample"}}
  ]})";

inline std::string WriteHttpHostConfig(const TempDir& dir) {
  std::string config = kHttpHostConfig;
  config.replace(config.find("ROOT"), 4, dir.path());
  WriteFile(dir.File("config.json"), config);
  return dir.File("config.json");
}

struct HttpHost {
  explicit HttpHost(std::vector<std::string> extra = {}) {
    ::setenv("PH_HTTP_DB", "hunter2", 1);  // the host inherits it; local.env reads it
    std::vector<std::string> args = {"--config", config, "--http-address",
                                     "127.0.0.1:" + std::to_string(http_port)};
    args.insert(args.end(), extra.begin(), extra.end());
    host = std::make_unique<RunningHost>(dir, dir.path(), args);
    ready = host->started() &&
            Eventually([&] { return HttpCall(http_port, "GET", "/v1.0/healthz").status == 204; },
                       std::chrono::seconds(10));
  }

  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {}) {
    return HttpCall(http_port, method, target, body, headers);
  }

  TempDir dir;
  std::string config = WriteHttpHostConfig(dir);
  std::unique_ptr<ChildProcess> sample = StartSampleComponent(dir, "cpp-sample");
  int http_port = FreeTcpPort();
  std::unique_ptr<RunningHost> host;
  bool ready = false;
};

// The errorCode of a daprd error body ("" when the body is not one).
inline std::string ErrorCode(const HttpResult& result) {
  auto body = nlohmann::json::parse(result.body, nullptr, false);
  if (!body.is_object() || !body.contains("errorCode")) return "";
  return body["errorCode"].get<std::string>();
}

}  // namespace plughost::testing
