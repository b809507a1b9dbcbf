// Health, metadata, shutdown, the API token, unknown routes and the server's own limits, over
// plain HTTP against the real host.
#include <nlohmann/json.hpp>

#include <thread>

#include "test/http/http_host.h"

namespace plughost::testing {
namespace {

using json = nlohmann::json;

TEST_CASE("healthz, metadata and unknown routes answer as daprd", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);

  CHECK(env.Call("GET", "/v1.0/healthz").status == 204);
  CHECK(env.Call("GET", "/v1.0/healthz/outbound").status == 204);
  CHECK(env.Call("GET", "/v1.0/healthz?appid=http-app").status == 204);
  auto wrong_app = env.Call("GET", "/v1.0/healthz?appid=other");
  CHECK(wrong_app.status == 500);
  CHECK(ErrorCode(wrong_app) == "ERR_HEALTH_APPID_NOT_MATCH");

  CHECK(env.Call("PUT", "/v1.0/metadata/owner", "team-a").status == 204);
  auto metadata = env.Call("GET", "/v1.0/metadata");
  REQUIRE(metadata.status == 200);
  CHECK(metadata.Header("content-type") == "application/json");
  auto body = json::parse(metadata.body);
  CHECK(body["id"] == "http-app");
  CHECK(body["extended"]["owner"] == "team-a");
  bool has_sample_state = false;
  for (const auto& component : body["components"]) {
    has_sample_state = has_sample_state || (component["name"] == "cpp-sample" &&
                                            component["type"] == "state.cpp-sample");
  }
  CHECK(has_sample_state);

  // Unknown routes and wrong verbs go to daprd's invoke fallback: 404 ERR_DIRECT_INVOKE.
  for (auto [method, target] : {std::pair{"GET", "/v1.0/nothing"},
                                {"GET", "/v1.0/shutdown"},
                                {"PATCH", "/v1.0/state/statestore"},
                                {"GET", "/"}}) {
    auto result = env.Call(method, target);
    INFO(method << " " << target);
    CHECK(result.status == 404);
    CHECK(ErrorCode(result) == "ERR_DIRECT_INVOKE");
  }
  // A bad escape in the path: 400, plain text.
  CHECK(env.Call("GET", "/v1.0/state/statestore/%zz").status == 400);
}

TEST_CASE("with an API token every route but healthz needs dapr-api-token", "[http]") {
  HttpHost env({"--api-token", "s3cret"});
  INFO(env.host->Log());
  REQUIRE(env.ready);
  CHECK(env.Call("GET", "/v1.0/healthz/outbound").status == 204);
  auto denied = env.Call("GET", "/v1.0/metadata");
  CHECK(denied.status == 401);
  CHECK(denied.body == "invalid api token");
  CHECK(env.Call("GET", "/v1.0/metadata", "", {{"dapr-api-token", "wrong"}}).status == 401);
  CHECK(env.Call("GET", "/v1.0/metadata", "", {{"dapr-api-token", "s3cret"}}).status == 200);
  // The token also reaches the gRPC service, which checks it again.
  CHECK(env.Call("POST", "/v1.0/state/statestore", R"([{"key":"k","value":1}])",
                 {{"dapr-api-token", "s3cret"}})
            .status == 204);
}

TEST_CASE("without --http-address the API listens on 127.0.0.1:$DAPR_HTTP_PORT", "[http]") {
  TempDir dir;
  int grpc_port = FreeTcpPort(), http_port = FreeTcpPort();
  auto host = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(), "--grpc-address",
       "127.0.0.1:" + std::to_string(grpc_port), "--ops-address", "off"},
      dir.File("host.log"), {{"DAPR_HTTP_PORT", std::to_string(http_port)}});
  INFO(host->Log());
  CHECK(Eventually([&] { return HttpCall(http_port, "GET", "/v1.0/healthz").status == 204; }));
}

TEST_CASE("POST /v1.0/shutdown answers 204 and the host exits", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);
  CHECK(env.Call("POST", "/v1.0/shutdown").status == 204);
  CHECK(env.host->process().WaitExit(std::chrono::seconds(15)) == 0);
}

TEST_CASE("POST /v1.0/shutdown with dapr-force-shutdown exits 1", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);
  CHECK(env.Call("POST", "/v1.0/shutdown", "", {{"dapr-force-shutdown", "TRUE"}}).status == 204);
  CHECK(env.host->process().WaitExit(std::chrono::seconds(15)) == 1);
}

TEST_CASE("the HTTP server keeps connections alive, pipelines and bounds requests", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);

  // Two requests in one write on one connection: both answered, in order.
  std::string two =
      "GET /v1.0/healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1.0/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto raw = HttpRaw(env.http_port, two);
  auto first = raw.find("HTTP/1.1 204");
  auto second = raw.find("HTTP/1.1 404");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(first < second);

  // A body over the limit (4 MiB by default): 413, and the connection closes.
  std::string big = "POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(5 << 20) + "\r\n\r\n";
  CHECK(HttpRaw(env.http_port, big).rfind("HTTP/1.1 413", 0) == 0);

  // Expect: 100-continue gets its interim answer, then the real one.
  std::string body = R"([{"key":"k","value":1}])";
  auto continued =
      HttpRaw(env.http_port,
              "POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
              "Expect: 100-continue\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
  CHECK(continued.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204", 0) == 0);

  // A client that sends half a header and stalls holds only its own connection.
  std::thread stalled(
      [port = env.http_port] { HttpRaw(port, "GET /v1.0/healthz HTTP/1.1\r\nHost:", 2000); });
  CHECK(env.Call("GET", "/v1.0/healthz").status == 204);
  stalled.join();

  // Not HTTP at all: 400, never a crash; the host still serves.
  CHECK(HttpRaw(env.http_port, "\x01\x02 garbage\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(env.Call("GET", "/v1.0/healthz").status == 204);
}

}  // namespace
}  // namespace plughost::testing
