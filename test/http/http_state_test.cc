// The state routes over plain HTTP, on the built-in in-memory store and the pluggable sample.
#include <nlohmann/json.hpp>

#include "test/http/http_host.h"

namespace plughost::testing {
namespace {

using json = nlohmann::json;

TEST_CASE("state routes on built-in and pluggable stores", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);

  for (std::string store : {"statestore", "cpp-sample"}) {
    DYNAMIC_SECTION("store " << store) {
      const std::string base = "/v1.0/state/" + store;
      // Save: any JSON value; a string keeps its quotes, as daprd stores it.
      CHECK(env.Call("POST", base,
                     R"([{"key":"a","value":{"n":1}},{"key":"b","value":"text"},
                         {"key":"c","value":3,"metadata":{"ttlInSeconds":"60"}}])")
                .status == 204);
      CHECK(env.Call("PUT", base, "[]").status == 204);

      auto a = env.Call("GET", base + "/a?consistency=strong");
      REQUIRE(a.status == 200);
      CHECK(json::parse(a.body) == json{{"n", 1}});
      CHECK(a.Header("content-type") == "application/json");
      std::string etag = a.Header("etag");
      CHECK_FALSE(etag.empty());
      CHECK(env.Call("GET", base + "/b").body == "\"text\"");
      // A missing key: 204 with no body.
      auto missing = env.Call("GET", base + "/nope");
      CHECK(missing.status == 204);
      CHECK(missing.body.empty());

      // ETags: a stale one is 409 on save and delete; the current one works.
      auto stale_save = env.Call("POST", base, R"([{"key":"a","value":2,"etag":"999"}])");
      CHECK(stale_save.status == 409);
      CHECK(ErrorCode(stale_save) == "ERR_STATE_SAVE");
      auto stale_delete = env.Call("DELETE", base + "/a", "", {{"If-Match", "999"}});
      CHECK(stale_delete.status == 409);
      CHECK(ErrorCode(stale_delete) == "ERR_STATE_DELETE");
      CHECK(env.Call("DELETE", base + "/a", "", {{"If-Match", etag}}).status == 204);
      CHECK(env.Call("GET", base + "/a").status == 204);
      // first-write with no ETag on an existing key is fine; delete without If-Match too.
      CHECK(env.Call("DELETE", base + "/c?metadata.note=x&concurrency=last-write").status == 204);

      // Bulk get: stored JSON embedded, missing keys without data.
      auto bulk = env.Call("POST", base + "/bulk", R"({"keys":["b","zz"],"parallelism":2})");
      REQUIRE(bulk.status == 200);
      auto items = json::parse(bulk.body);
      REQUIRE(items.size() == 2);
      for (const auto& item : items) {
        if (item["key"] == "b") {
          CHECK(item["data"] == "text");
          CHECK(item.contains("etag"));
        } else {
          CHECK(item["key"] == "zz");
          CHECK_FALSE(item.contains("data"));
        }
      }
      CHECK(env.Call("POST", base + "/bulk", "{}").body == "[]");

      // Transaction: upsert and delete together; an unknown operation is daprd's 400.
      CHECK(env.Call("POST", base + "/transaction",
                     R"({"operations":[{"operation":"upsert","request":{"key":"t1","value":"v1"}},
                                       {"operation":"delete","request":{"key":"b"}}],
                         "metadata":{"m":"1"}})")
                .status == 204);
      CHECK(env.Call("GET", base + "/t1").body == "\"v1\"");
      CHECK(env.Call("GET", base + "/b").status == 204);
      auto bad_op = env.Call("POST", base + "/transaction",
                             R"({"operations":[{"operation":"merge","request":{"key":"x"}}]})");
      CHECK(bad_op.status == 400);
      CHECK(ErrorCode(bad_op) == "ERR_NOT_SUPPORTED_STATE_OPERATION");

      // Query: neither store supports it.
      auto query = env.Call("POST", "/v1.0-alpha1/state/" + store + "/query", R"({"filter":{}})");
      CHECK(query.status == 500);
      CHECK(ErrorCode(query) == "ERR_STATE_STORE_NOT_SUPPORTED");

      // Malformed requests.
      for (std::string body : {"[{\"key\":", "{\"key\":\"x\"}", "[{\"value\":1}]", "[1]"}) {
        auto bad = env.Call("POST", base, body);
        INFO(body);
        CHECK(bad.status == 400);
        CHECK(ErrorCode(bad) == "ERR_MALFORMED_REQUEST");
      }
      auto bad_bulk = env.Call("POST", base + "/bulk", "nope");
      CHECK(bad_bulk.status == 400);
      CHECK(ErrorCode(bad_bulk) == "ERR_MALFORMED_REQUEST");
      auto bad_tx = env.Call("POST", base + "/transaction", "[");
      CHECK(bad_tx.status == 400);
      CHECK(ErrorCode(bad_tx) == "ERR_MALFORMED_REQUEST");
      // A key holding daprd's separator.
      auto separator = env.Call("GET", base + "/a%7C%7Cb");
      CHECK(separator.status == 400);
      CHECK(ErrorCode(separator) == "ERR_MALFORMED_REQUEST");
    }
  }

  SECTION("an unknown store is 400 ERR_STATE_STORE_NOT_FOUND on every route") {
    for (auto [method, target, body] :
         {std::tuple{"GET", "/v1.0/state/nope/k", ""},
          {"DELETE", "/v1.0/state/nope/k", ""},
          {"POST", "/v1.0/state/nope", "[{\"key\":\"k\",\"value\":1}]"},
          {"POST", "/v1.0/state/nope/bulk", "{\"keys\":[\"k\"]}"},
          {"POST", "/v1.0/state/nope/transaction", "{\"operations\":[]}"},
          {"POST", "/v1.0-alpha1/state/nope/query", "{}"}}) {
      auto result = env.Call(method, target, body);
      INFO(method << " " << target);
      CHECK(result.status == 400);
      CHECK(ErrorCode(result) == "ERR_STATE_STORE_NOT_FOUND");
      auto error = nlohmann::json::parse(result.body, nullptr, false);
      INFO(result.body);
      REQUIRE(error.contains("details"));
      CHECK(error["details"][0]["reason"] == "DAPR_STATE_NOT_FOUND");
      CHECK(error["details"][0]["metadata"].is_null());
    }
  }

  SECTION("a key with '/' and spaces travels escaped") {
    CHECK(env.Call("POST", "/v1.0/state/statestore", R"([{"key":"a/b c","value":1}])").status ==
          204);
    CHECK(env.Call("GET", "/v1.0/state/statestore/a%2Fb+c").body == "1");
  }
}

TEST_CASE("state routes with no state store configured", "[http]") {
  TempDir dir;
  WriteFile(dir.File("config.json"), R"({"app_id": "x", "components": []})");
  int http_port = FreeTcpPort();
  RunningHost host(dir, dir.path(),
                   {"--config", dir.File("config.json"), "--http-address",
                    "127.0.0.1:" + std::to_string(http_port)});
  INFO(host.Log());
  REQUIRE(host.started());
  REQUIRE(Eventually([&] { return HttpCall(http_port, "GET", "/v1.0/healthz").status == 204; }));
  auto result = HttpCall(http_port, "GET", "/v1.0/state/statestore/k");
  CHECK(result.status == 500);
  CHECK(ErrorCode(result) == "ERR_STATE_STORE_NOT_CONFIGURED");
}

}  // namespace
}  // namespace plughost::testing
