// Publish, bindings, secrets, lock and configuration over plain HTTP, on built-in components
// and the pluggable sample.
#include <nlohmann/json.hpp>

#include "test/http/http_host.h"

namespace plughost::testing {
namespace {

using json = nlohmann::json;

TEST_CASE("publish and bulk publish", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);

  for (std::string pubsub : {"pubsub", "cpp-sample"}) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      const std::string base = "/v1.0/publish/" + pubsub;
      CHECK(env.Call("POST", base + "/orders", R"({"id":1})").status == 204);
      CHECK(
          env.Call("PUT", base + "/a/b/c", "plain text", {{"Content-Type", "text/plain"}}).status ==
          204);
      CHECK(env.Call("POST", base + "/orders", std::string("\x00\x01", 2),
                     {{"Content-Type", "application/octet-stream"}})
                .status == 204);
      CHECK(env.Call("POST", base + "/orders?metadata.rawPayload=true", "raw bytes",
                     {{"Content-Type", "text/plain"}})
                .status == 204);
      // A CloudEvent passes through; one that is not JSON is daprd's 500.
      CHECK(env.Call("POST", base + "/orders",
                     R"({"specversion":"1.0","id":"e1","source":"s","type":"t","data":{}})",
                     {{"Content-Type", "application/cloudevents+json"}})
                .status == 204);
      auto bad_event = env.Call("POST", base + "/orders", "not json",
                                {{"Content-Type", "application/cloudevents+json"}});
      CHECK(bad_event.status == 500);
      CHECK(ErrorCode(bad_event) == "ERR_PUBSUB_CLOUD_EVENTS_SER");
      auto bad_raw = env.Call("POST", base + "/orders?metadata.rawPayload=maybe", "{}");
      CHECK(bad_raw.status == 400);
      CHECK(ErrorCode(bad_raw) == "ERR_PUBSUB_REQUEST_METADATA");

      // Field names match ignoring case, as Go decodes them (the JS SDK sends "entryID").
      const std::string bulk = "/v1.0-alpha1/publish/bulk/" + pubsub + "/orders";
      CHECK(env.Call("POST", bulk,
                     R"([{"entryId":"1","event":{"a":1},"contentType":"application/json"},
                         {"entryID":"2","event":"hello","ContentType":"text/plain"},
                         {"entryId":"3","event":"AAE=","contentType":"application/octet-stream",
                          "metadata":{"k":"v"}}])")
                .status == 204);
      CHECK(env.Call("POST", "/v1.0/publish/bulk/" + pubsub + "/orders", "[]").status == 204);
      for (std::string body :
           {R"([{"entryId":"1","event":{"a":1}}])",                             // no type
            R"([{"entryId":"1","event":{"a":1},"contentType":"text/plain"}])",  // mismatch
            R"([{"event":"x","contentType":"text/plain"}])",                    // no id
            R"([{"entryId":"1","event":"x","contentType":"text/plain"},
                {"entryId":"1","event":"y","contentType":"text/plain"}])",      // dup id
            "{"}) {
        auto bad = env.Call("POST", bulk, body);
        INFO(body);
        CHECK(bad.status == 400);
        CHECK(ErrorCode(bad) == "ERR_PUBSUB_EVENTS_SER");
      }
    }
  }
  auto unknown = env.Call("POST", "/v1.0/publish/nope/orders", "{}");
  CHECK(unknown.status == 404);
  CHECK(ErrorCode(unknown) == "ERR_PUBSUB_NOT_FOUND");
  {
    // daprd's rich body: the reason in an ErrorInfo, then the pubsub in a ResourceInfo.
    auto body = nlohmann::json::parse(unknown.body, nullptr, false);
    INFO(unknown.body);
    REQUIRE(body.contains("details"));
    REQUIRE(body["details"].size() == 2);
    CHECK(body["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo");
    CHECK(body["details"][0]["reason"] == "DAPR_PUBSUB_NOT_FOUND");
    CHECK(body["details"][0]["domain"] == "dapr.io");
    CHECK(body["details"][1]["@type"] == "type.googleapis.com/google.rpc.ResourceInfo");
    CHECK(body["details"][1]["resource_name"] == "nope");
  }
  auto unknown_bulk = env.Call("POST", "/v1.0-alpha1/publish/bulk/nope/orders", "[]");
  CHECK(unknown_bulk.status == 404);
  CHECK(ErrorCode(unknown_bulk) == "ERR_PUBSUB_NOT_FOUND");
}

TEST_CASE("output bindings", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);

  // Built-in local storage: data is re-serialised JSON, so a string keeps its quotes.
  CHECK(env.Call("POST", "/v1.0/bindings/files",
                 R"({"operation":"create","data":"hello","metadata":{"fileName":"f.txt"}})")
            .status < 300);
  auto got = env.Call("PUT", "/v1.0/bindings/files",
                      R"({"operation":"get","metadata":{"fileName":"f.txt"}})");
  CHECK(got.status == 200);
  CHECK(got.body == "\"hello\"");

  // The pluggable sample: its response metadata comes back as metadata.* headers.
  auto created = env.Call("POST", "/v1.0/bindings/cpp-sample",
                          R"({"operation":"create","data":{"x":1},"metadata":{"key":"r1"}})");
  CHECK(created.status < 300);
  auto read = env.Call("POST", "/v1.0/bindings/cpp-sample",
                       R"({"operation":"get","metadata":{"key":"r1"}})");
  CHECK(read.status == 200);
  CHECK(json::parse(read.body) == json{{"x", 1}});

  for (std::string body :
       {R"({"operation":"nope"})", R"({"data":1})", R"({"operation":"fail","data":"no"})"}) {
    auto failed = env.Call("POST", "/v1.0/bindings/cpp-sample", body);
    INFO(body);
    CHECK(failed.status == 500);
    CHECK(ErrorCode(failed) == "ERR_INVOKE_OUTPUT_BINDING");
  }
  auto unknown = env.Call("POST", "/v1.0/bindings/nope", R"({"operation":"create"})");
  CHECK(unknown.status == 500);
  CHECK(ErrorCode(unknown) == "ERR_INVOKE_OUTPUT_BINDING");
  auto malformed = env.Call("POST", "/v1.0/bindings/files", "{nope");
  CHECK(malformed.status == 400);
  CHECK(ErrorCode(malformed) == "ERR_MALFORMED_REQUEST");
}

TEST_CASE("secrets", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);
  auto db = env.Call("GET", "/v1.0/secrets/secretstore/DB");
  CHECK(db.status == 200);
  CHECK(json::parse(db.body) == json{{"DB", "hunter2"}});
  auto bulk = env.Call("GET", "/v1.0/secrets/secretstore/bulk");
  CHECK(bulk.status == 200);
  CHECK(json::parse(bulk.body)["DB"] == json{{"DB", "hunter2"}});
  auto vault = env.Call("GET", "/v1.0/secrets/vault/db-password?metadata.version=1");
  CHECK(vault.status == 200);
  CHECK(json::parse(vault.body) == json{{"db-password", "pw-from-sample"}});
  CHECK(json::parse(env.Call("GET", "/v1.0/secrets/vault/bulk").body).contains("db-password"));

  auto unknown = env.Call("GET", "/v1.0/secrets/nope/x");
  CHECK(unknown.status == 401);
  CHECK(ErrorCode(unknown) == "ERR_SECRET_STORE_NOT_FOUND");
  auto unknown_bulk = env.Call("GET", "/v1.0/secrets/nope/bulk");
  CHECK(unknown_bulk.status == 401);
  auto missing = env.Call("GET", "/v1.0/secrets/vault/missing");
  CHECK(missing.status == 500);
  CHECK(ErrorCode(missing) == "ERR_SECRET_GET");
}

TEST_CASE("distributed lock", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);
  for (std::string store : {"lockstore", "cpp-sample"}) {
    DYNAMIC_SECTION("store " << store) {
      const std::string lock = "/v1.0-alpha1/lock/" + store;
      const std::string unlock = "/v1.0-alpha1/unlock/" + store;
      auto got =
          env.Call("POST", lock, R"({"resourceId":"r","lockOwner":"a","expiryInSeconds":30})");
      CHECK(got.status == 200);
      CHECK(got.body == R"({"success":true})");
      // snake_case names are protobuf JSON too; the lock is held.
      auto again =
          env.Call("POST", lock, R"({"resource_id":"r","lock_owner":"b","expiry_in_seconds":30})");
      CHECK(again.body == R"({"success":false})");
      CHECK(env.Call("POST", unlock, R"({"resourceId":"r","lockOwner":"b"})").body ==
            R"({"status":2})");
      CHECK(env.Call("POST", unlock, R"({"resourceId":"r","lockOwner":"a"})").body ==
            R"({"status":0})");
      CHECK(env.Call("POST", unlock, R"({"resourceId":"r","lockOwner":"a"})").body ==
            R"({"status":1})");

      for (std::string body : {R"({"resourceId":"r","lockOwner":"a","expiryInSeconds":0})",
                               R"({"lockOwner":"a","expiryInSeconds":5})", "{bad"}) {
        auto bad = env.Call("POST", lock, body);
        INFO(body);
        CHECK(bad.status == 400);
        CHECK(ErrorCode(bad) == "ERR_MALFORMED_REQUEST");
      }
    }
  }
  auto unknown = env.Call("POST", "/v1.0-alpha1/lock/nope",
                          R"({"resourceId":"r","lockOwner":"a","expiryInSeconds":5})");
  CHECK(unknown.status == 400);
  CHECK(ErrorCode(unknown) == "ERR_LOCK_STORE_NOT_FOUND");
  auto unknown_unlock =
      env.Call("POST", "/v1.0-alpha1/unlock/nope", R"({"resourceId":"r","lockOwner":"a"})");
  CHECK(unknown_unlock.status == 400);
  CHECK(ErrorCode(unknown_unlock) == "ERR_LOCK_STORE_NOT_FOUND");
}

TEST_CASE("configuration get", "[http]") {
  HttpHost env;
  INFO(env.host->Log());
  REQUIRE(env.ready);
  for (std::string version : {"v1.0", "v1.0-alpha1"}) {
    CHECK(env.Call("GET", "/" + version + "/configuration/configstore?key=missing").status == 204);
    auto unknown = env.Call("GET", "/" + version + "/configuration/nope?key=a");
    CHECK(unknown.status == 400);
    CHECK(ErrorCode(unknown) == "ERR_CONFIGURATION_STORE_NOT_FOUND");

    // Subscribe: the store is checked first, then the app channel (none here), as daprd.
    auto no_app = env.Call("GET", "/" + version + "/configuration/configstore/subscribe?key=a");
    CHECK(no_app.status == 500);
    CHECK(ErrorCode(no_app) == "ERR_APP_CHANNEL_NIL");
    auto sample_no_app = env.Call("GET", "/" + version + "/configuration/cpp-sample/subscribe");
    CHECK(ErrorCode(sample_no_app) == "ERR_APP_CHANNEL_NIL");
    auto unknown_sub = env.Call("GET", "/" + version + "/configuration/nope/subscribe?key=a");
    CHECK(unknown_sub.status == 400);
    CHECK(ErrorCode(unknown_sub) == "ERR_CONFIGURATION_STORE_NOT_FOUND");

    // Unsubscribe of an id nobody holds: daprd's {ok:false, message} with 500.
    auto unsubscribe =
        env.Call("GET", "/" + version + "/configuration/configstore/no-such-id/unsubscribe");
    CHECK(unsubscribe.status == 500);
    auto body = json::parse(unsubscribe.body);
    CHECK(body["ok"] == false);
    CHECK_FALSE(body["message"].get<std::string>().empty());
  }
}

}  // namespace
}  // namespace plughost::testing
