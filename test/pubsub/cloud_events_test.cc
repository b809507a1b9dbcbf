#include "host/pubsub/cloud_events.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <nlohmann/json.hpp>

#include <chrono>
#include <regex>
#include <string>

namespace plughost::cloud_events {
namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

json Wrap(std::string_view content_type, std::string_view data, const Metadata& metadata = {},
          bool component_handles_ttl = false) {
  Published event;
  event.app_id = "checkout";
  event.pubsub_name = "pubsub";
  event.topic = "orders";
  event.data_content_type = content_type;
  event.data = data;
  event.metadata = &metadata;
  event.component_handles_ttl = component_handles_ttl;
  auto envelope = Envelope(event);
  REQUIRE(envelope.ok());
  auto parsed = json::parse(*envelope, nullptr, false);
  REQUIRE(parsed.is_object());
  return parsed;
}

dapr::proto::runtime::v1::TopicEventRequest Deliver(const std::string& payload,
                                                    const std::string& content_type = kContentType,
                                                    bool raw_payload = false) {
  dapr::proto::components::v1::PullMessagesResponse message;
  message.set_data(payload);
  message.set_content_type(content_type);
  message.set_topic_name("orders");
  Received received{"pubsub", "orders", "/orders", raw_payload};
  dapr::proto::runtime::v1::TopicEventRequest event;
  auto decoded = ToTopicEvent(message, received, &event);
  REQUIRE(decoded.ok());
  REQUIRE(*decoded == Decoded::kEvent);
  return event;
}

const std::regex kUuidV4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

}  // namespace

TEST_CASE("a new envelope carries Dapr's CloudEvent 1.0 fields", "[pubsub][cloudevents]") {
  auto event = Wrap("application/json", R"({"order": 7, "items": ["a", "b"]})");
  CHECK(std::regex_match(event["id"].get<std::string>(), kUuidV4));
  CHECK(event["source"] == "checkout");
  CHECK(event["type"] == "com.dapr.event.sent");
  CHECK(event["specversion"] == "1.0");
  CHECK(event["datacontenttype"] == "application/json");
  CHECK(event["topic"] == "orders");
  CHECK(event["pubsubname"] == "pubsub");
  // JSON data is embedded as JSON, not as a string.
  CHECK(event["data"] == json::parse(R"({"order": 7, "items": ["a", "b"]})"));
  CHECK_FALSE(event.contains("data_base64"));
  Clock::time_point time;
  REQUIRE(ParseRfc3339(event["time"].get<std::string>(), &time));
  CHECK(std::chrono::abs(Clock::now() - time) < std::chrono::minutes(5));
  CHECK_FALSE(event.contains("expiration"));

  // Without an app id the source is Dapr's default.
  Published anonymous;
  anonymous.data = "x";
  auto anonymous_envelope = Envelope(anonymous);
  REQUIRE(anonymous_envelope.ok());
  CHECK(json::parse(*anonymous_envelope)["source"] == "Dapr");

  // Two events never share an id.
  CHECK(Wrap("text/plain", "x")["id"] != Wrap("text/plain", "x")["id"]);
}

TEST_CASE(
    "a new envelope is one JSON object with sorted keys; bytes that are not UTF-8 "
    "cannot break it",
    "[pubsub][cloudevents]") {
  Published event;
  event.topic = "orders";
  event.data_content_type = "text/plain";
  std::string bad = "caf\xc3 \xff \"quoted\" \n";
  event.data = bad;
  auto envelope = Envelope(event);
  REQUIRE(envelope.ok());
  auto parsed = json::parse(*envelope, nullptr, false);
  REQUIRE(parsed.is_object());
  std::vector<std::string> keys;
  for (const auto& [key, value] : parsed.items()) keys.push_back(key);
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  CHECK(parsed["data"].get<std::string>().find("\"quoted\"") != std::string::npos);
  // JSON data is copied as the app wrote it, whitespace included.
  auto raw = Envelope([] {
    Published json_event;
    json_event.data_content_type = "application/json";
    json_event.data = R"({ "a" : [1, 2.50] })";
    return json_event;
  }());
  REQUIRE(raw.ok());
  CHECK_THAT(*raw, Catch::Contains(R"("data":{ "a" : [1, 2.50] })"));
}

TEST_CASE("envelope data follows the content type", "[pubsub][cloudevents]") {
  CHECK(Wrap("text/plain", "hello")["data"] == "hello");
  auto defaulted = Wrap("", "hello");
  CHECK(defaulted["datacontenttype"] == "text/plain");
  CHECK(defaulted["data"] == "hello");
  // Data that claims to be JSON but is not travels as text.
  CHECK(Wrap("application/json", "{not json")["data"] == "{not json");
  CHECK(Wrap("Application/JSON; charset=utf-8", "[1,2]")["data"] == json::array({1, 2}));
  auto binary = Wrap("application/octet-stream", std::string("\x00\xff\x10", 3));
  CHECK_FALSE(binary.contains("data"));
  CHECK(binary["data_base64"] == "AP8Q");
}

TEST_CASE("cloudevent.* metadata overrides envelope fields", "[pubsub][cloudevents]") {
  Metadata metadata;
  metadata["cloudevent.id"] = "my-id";
  metadata["CloudEvent.Type"] = "my.type";
  metadata["cloudevent.source"] = "elsewhere";
  metadata["cloudevent.subject"] = "subj";
  metadata["cloudevent.traceparent"] = "00-abc-def-01";
  auto event = Wrap("text/plain", "x", metadata);
  CHECK(event["id"] == "my-id");
  CHECK(event["type"] == "my.type");
  CHECK(event["source"] == "elsewhere");
  CHECK(event["subject"] == "subj");
  CHECK(event["traceparent"] == "00-abc-def-01");
  CHECK(event["traceid"] == "00-abc-def-01");
}

TEST_CASE("an app's own CloudEvent is completed, not rewrapped", "[pubsub][cloudevents]") {
  auto event = Wrap(kContentType, R"({"id":"app-1","source":"app","type":"t","specversion":"1.0",)"
                                  R"("datacontenttype":"text/plain","data":"hi","custom":"kept"})");
  CHECK(event["id"] == "app-1");
  CHECK(event["source"] == "app");
  CHECK(event["data"] == "hi");
  CHECK(event["custom"] == "kept");
  CHECK(event["topic"] == "orders");
  CHECK(event["pubsubname"] == "pubsub");
  CHECK(event.contains("time"));

  auto minimal = Wrap(kContentType, R"({"id":"app-2","data":{"x":1}})");
  CHECK(minimal["source"] == "Dapr");
  CHECK(minimal["type"] == "com.dapr.event.sent");
  CHECK(minimal["specversion"] == "1.0");

  Published bad;
  bad.data_content_type = kContentType;
  for (std::string_view data : {"not json", "[1,2]", ""}) {
    bad.data = data;
    auto result = Envelope(bad);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(result.status().message() == "cannot create cloudevent");
  }
}

TEST_CASE("ttlInSeconds adds an expiration unless the component enforces TTLs",
          "[pubsub][cloudevents]") {
  Metadata metadata;
  metadata[kTtlKey] = "60";
  auto event = Wrap("text/plain", "x", metadata);
  Clock::time_point expiration;
  REQUIRE(ParseRfc3339(event["expiration"].get<std::string>(), &expiration));
  CHECK(expiration > Clock::now() + std::chrono::seconds(30));
  CHECK_FALSE(
      Wrap("text/plain", "x", metadata, /*component_handles_ttl=*/true).contains("expiration"));
  metadata[kTtlKey] = "-5";
  CHECK_FALSE(Wrap("text/plain", "x", metadata).contains("expiration"));
}

TEST_CASE("rawPayload metadata accepts Go's boolean spellings only", "[pubsub][cloudevents]") {
  Metadata metadata;
  CHECK(*IsRawPayload(metadata) == false);
  for (std::string yes : {"true", "True", "TRUE", "t", "1"}) {
    metadata[kRawPayloadKey] = yes;
    CHECK(*IsRawPayload(metadata) == true);
  }
  for (std::string no : {"false", "F", "0", ""}) {
    metadata[kRawPayloadKey] = no;
    CHECK(*IsRawPayload(metadata) == false);
  }
  metadata[kRawPayloadKey] = "yes";
  auto bad = IsRawPayload(metadata);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "rawPayload value must be a valid boolean: actual is 'yes'");
}

TEST_CASE("a delivered envelope becomes a TopicEventRequest", "[pubsub][cloudevents]") {
  auto json_event = Deliver(Wrap("application/json", R"({"order":7})").dump());
  CHECK(std::regex_match(json_event.id(), kUuidV4));
  CHECK(json_event.source() == "checkout");
  CHECK(json_event.type() == "com.dapr.event.sent");
  CHECK(json_event.spec_version() == "1.0");
  CHECK(json_event.data_content_type() == "application/json");
  CHECK(json::parse(json_event.data()) == json::parse(R"({"order":7})"));
  CHECK(json_event.topic() == "orders");
  CHECK(json_event.pubsub_name() == "pubsub");
  CHECK(json_event.path() == "/orders");
  // Fields beyond the core ones travel as extensions.
  const auto& extensions = json_event.extensions().fields();
  CHECK(extensions.at("topic").string_value() == "orders");
  CHECK(extensions.at("pubsubname").string_value() == "pubsub");
  CHECK(extensions.count("time") == 1);
  CHECK(extensions.count("id") == 0);
  CHECK(extensions.count("data") == 0);

  CHECK(Deliver(Wrap("text/plain", "plain words").dump()).data() == "plain words");
  std::string bytes("\x00\x01\xfe\xff", 4);
  auto binary = Deliver(Wrap("application/octet-stream", bytes).dump());
  CHECK(binary.data() == bytes);
  CHECK(binary.data_content_type() == "application/octet-stream");
  // A JSON string in JSON data stays JSON text.
  CHECK(Deliver(Wrap("application/json", R"("quoted")").dump()).data() == R"("quoted")");
}

TEST_CASE("a payload that is no CloudEvent is wrapped on delivery", "[pubsub][cloudevents]") {
  auto plain = Deliver("just bytes", "text/plain");
  CHECK(plain.data() == "just bytes");
  CHECK(plain.data_content_type() == "text/plain");
  CHECK(std::regex_match(plain.id(), kUuidV4));
  CHECK(plain.spec_version() == "1.0");
  CHECK(plain.topic() == "orders");

  auto no_type = Deliver("[1,2,3]", "");
  CHECK(no_type.data() == "[1,2,3]");
  CHECK(no_type.data_content_type() == "application/octet-stream");

  // A raw-payload subscription takes even a valid CloudEvent as opaque bytes.
  std::string envelope = Wrap("text/plain", "inner").dump();
  auto raw = Deliver(envelope, kContentType, /*raw_payload=*/true);
  CHECK(raw.data() == envelope);
  CHECK(raw.data_content_type() == "application/octet-stream");
}

TEST_CASE("expired events and broken base64 are not delivered", "[pubsub][cloudevents]") {
  dapr::proto::components::v1::PullMessagesResponse message;
  message.set_content_type(kContentType);
  Received received{"pubsub", "orders", "", false};
  dapr::proto::runtime::v1::TopicEventRequest event;

  message.set_data(R"({"id":"1","expiration":"2001-01-01T00:00:00Z","data":"old"})");
  auto expired = ToTopicEvent(message, received, &event);
  REQUIRE(expired.ok());
  CHECK(*expired == Decoded::kExpired);

  message.set_data(R"({"id":"2","expiration":")" +
                   FormatRfc3339(Clock::now() + std::chrono::hours(1)) + R"(","data":"fresh"})");
  auto fresh = ToTopicEvent(message, received, &event);
  REQUIRE(fresh.ok());
  CHECK(*fresh == Decoded::kEvent);

  message.set_data(R"({"id":"3","data_base64":"***"})");
  CHECK_FALSE(ToTopicEvent(message, received, &event).ok());
}

TEST_CASE("RFC 3339 and base64 helpers", "[pubsub][cloudevents]") {
  Clock::time_point a, b;
  REQUIRE(ParseRfc3339("2024-03-01T12:00:00Z", &a));
  REQUIRE(ParseRfc3339("2024-03-01T14:30:00.123+02:30", &b));
  CHECK(a == b);
  CHECK(FormatRfc3339(a) == "2024-03-01T12:00:00Z");
  CHECK_FALSE(ParseRfc3339("2024-03-01 12:00:00Z", &a));
  CHECK_FALSE(ParseRfc3339("2024-03-01T12:00:00", &a));

  for (std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string decoded;
    REQUIRE(Base64Decode(Base64Encode(text), &decoded));
    CHECK(decoded == text);
  }
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64Encode("fo") == "Zm8=");
  std::string out;
  CHECK_FALSE(Base64Decode("Zm8", &out));
  CHECK_FALSE(Base64Decode("Z=8=", &out));
  CHECK_FALSE(Base64Decode("Zm8=Zm8=", &out));
}

}  // namespace plughost::cloud_events

namespace plughost::cloud_events {

TEST_CASE("JSON nested too deep to walk is refused, on publish and on delivery",
          "[pubsub][cloudevents]") {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  Metadata metadata;
  Published event;
  event.pubsub_name = "pubsub";
  event.topic = "orders";
  event.metadata = &metadata;
  event.data = deep;
  const std::string deep_event = R"({"id":"1","data":)" + deep + "}";
  for (std::string type : {std::string("application/json"), std::string(kContentType)}) {
    event.data_content_type = type;
    if (type == kContentType) event.data = deep_event;
    auto envelope = Envelope(event);
    CHECK(envelope.status().code() == absl::StatusCode::kInvalidArgument);
  }
  // Deep text that does not claim to be JSON is just text.
  event.data = deep;
  event.data_content_type = "text/plain";
  CHECK(Envelope(event).ok());

  dapr::proto::components::v1::PullMessagesResponse message;
  message.set_data(R"({"id":"1","specversion":"1.0","ext":)" + deep + "}");
  message.set_content_type(kContentType);
  Received received{"pubsub", "orders", "/orders", false};
  dapr::proto::runtime::v1::TopicEventRequest delivered;
  auto decoded = ToTopicEvent(message, received, &delivered);
  CHECK(decoded.status().code() == absl::StatusCode::kInvalidArgument);
  // A raw-payload subscription never parses the bytes, so it gets them as they are.
  received.raw_payload = true;
  auto raw = ToTopicEvent(message, received, &delivered);
  REQUIRE(raw.ok());
  CHECK(delivered.data() == message.data());
}

}  // namespace plughost::cloud_events

namespace plughost::cloud_events {

TEST_CASE("trace fields are always present, empty without a trace, as daprd writes them",
          "[pubsub][cloudevents]") {
  auto envelope = Wrap("text/plain", "hi");
  CHECK(envelope.at("traceid") == "");
  CHECK(envelope.at("traceparent") == "");
  CHECK(envelope.at("tracestate") == "");
  // An app's own CloudEvent keeps its trace fields and gets the missing ones.
  auto own = Wrap(kContentType, R"({"id":"1","traceid":"mine","data":1})");
  CHECK(own.at("traceid") == "mine");
  CHECK(own.at("traceparent") == "");
  CHECK(own.at("tracestate") == "");
}

}  // namespace plughost::cloud_events
