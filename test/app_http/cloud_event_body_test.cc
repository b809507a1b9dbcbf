// The envelope writer must give an HTTP app what the JSON tree gave it: the same bytes, except
// that JSON data is now passed on as it came (the same value; its own spacing, member order and
// number spelling, which the tree rewrote).
#include "host/app_http/cloud_event_body.h"

#include <google/protobuf/struct.pb.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/bounded_json.h"
#include "host/pubsub/cloud_events.h"
#include "host/common/json_string.h"
#include "tree_envelope.h"

namespace plughost {
namespace {

namespace appcallbackpb = ::dapr::proto::runtime::v1;
using google::protobuf::Struct;
using google::protobuf::Value;
using nlohmann::json;

appcallbackpb::TopicEventRequest Event(std::string content_type, std::string data) {
  appcallbackpb::TopicEventRequest event;
  event.set_id("5929aaac-a5e2-4ca1-859c-edfe73f11565");
  event.set_source("checkout");
  event.set_type("com.dapr.event.sent");
  event.set_spec_version("1.0");
  event.set_data_content_type(std::move(content_type));
  event.set_data(std::move(data));
  event.set_topic("orders");
  event.set_pubsub_name("pubsub");
  event.set_path("/orders");
  auto& fields = *event.mutable_extensions()->mutable_fields();
  fields["topic"].set_string_value("orders");
  fields["pubsubname"].set_string_value("pubsub");
  fields["traceparent"].set_string_value("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  fields["time"].set_string_value("2026-12-05T07:00:00Z");
  return event;
}

// Whether the tree rewrote the event's data (it was JSON, but not as nlohmann writes it).
bool TreeRewritesData(const appcallbackpb::TopicEventRequest& event) {
  if (!tree_envelope::IsJsonContentType(event.data_content_type())) return false;
  json value = ParseBoundedJson(event.data());
  return !value.is_discarded() && tree_envelope::Dump(value) != event.data();
}

void CheckSameAsTree(const appcallbackpb::TopicEventRequest& event) {
  std::string written = CloudEventBody(event);
  std::string reference = tree_envelope::CloudEventBody(event);
  INFO("written:   " << written);
  INFO("reference: " << reference);
  if (!TreeRewritesData(event)) {
    CHECK(written == reference);
    return;
  }
  // The same document, with the data's own text in it.
  json parsed = json::parse(written, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  CHECK(parsed == json::parse(reference));
  std::string_view data;
  REQUIRE(ValidateJson(event.data(), &data));
  CHECK(written.find("\"data\":" + std::string(data)) != std::string::npos);
}

const std::string kTexts[] = {
    "",
    "hello",
    "quote \" backslash \\ slash / tab\t newline\n\r\b\f\x01\x1f\x7f",
    std::string("nul \0 inside", 12),
    "h\xC3\xA9llo \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 \xE2\x80\xA8",
    "ill-formed \xC3 lead, \x80 lone, \xED\xA0\x80 surrogate, \xF5 high, cut \xE2\x82",
    R"({"looks":"like json"})",
    std::string(16 * 1024, 'p'),
};

}  // namespace

TEST_CASE("text and binary data are written as the tree wrote them", "[app_http]") {
  const std::string types[] = {"text/plain",
                               "",
                               "TEXT/html; charset=utf-8",
                               "text/",
                               "application/octet-stream",
                               "image/png",
                               "application/xml",
                               "application/jsonx",
                               " application/json",
                               "application/json+x",
                               "json"};
  std::mt19937 random(5122026);
  std::string binary(300, '\0');
  for (char& c : binary) c = static_cast<char>(random());
  for (const auto& type : types) {
    for (const auto& text : kTexts) CheckSameAsTree(Event(type, text));
    CheckSameAsTree(Event(type, binary));
  }
}

TEST_CASE("JSON data is passed on as it came, or as a string when it is not JSON", "[app_http]") {
  const std::string types[] = {
      "application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
      "text/json",        "application/cloudevents+json",    "application/vnd.api+JSON;v=1"};
  const std::string deep = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  const std::string too_deep = "[" + deep + "]";
  const std::string documents[] = {
      R"({"a":1,"b":[true,false,null],"c":"x","d":{"e":-2.5}})",
      R"({ "b": 1, "a" : [1, 2] })",
      R"([{"z":1,"a":2},"s",3])",
      "42",
      "-0",
      "1.5",
      "1E2",
      "123456789012345678901234567890",
      R"("a string")",
      "true",
      "null",
      R"("\u00e9\ud83d\ude00 \/ \u0041")",
      R"({"dup":1,"dup":2})",
      "  [1, 2]\n",
      "\xEF\xBB\xBF{\"bom\":true}",
      std::string("{\"nul\":1}\0 and garbage", 22),
      "{\"raw\":\"h\xC3\xA9 \xF0\x9F\x98\x80\"}",
      deep,
      too_deep,
      "",
      "{",
      "not json",
      "[1,]",
      "1e400",
      "01",
      "\"unterminated",
      "{\"bad\":\"\xC3\x28\"}",
      "\xEF\xBB\xBF",
      std::string("\0", 1),
  };
  for (const auto& type : types) {
    for (const auto& document : documents) CheckSameAsTree(Event(type, document));
    for (const auto& text : kTexts) CheckSameAsTree(Event(type, text));
  }

  // Too deep to keep: a JSON string, as the tree had it.
  std::string body = CloudEventBody(Event("application/json", too_deep));
  CHECK(body.find("\"data\":\"[[[") != std::string::npos);
  // Valid JSON goes in verbatim, without the byte order mark or what follows a NUL.
  body = CloudEventBody(Event("application/json", "\xEF\xBB\xBF { \"b\": 1, \"a\": 2 } "));
  CHECK(body.find(R"("data":{ "b": 1, "a": 2 },)") != std::string::npos);
  body = CloudEventBody(Event("application/json", std::string("[1]\0junk", 8)));
  CHECK(body.find(R"("data":[1],)") != std::string::npos);
}

TEST_CASE("extensions are merged as the tree merged them", "[app_http]") {
  auto event = Event("text/plain", "payload");
  SECTION("none, or empty") {
    event.clear_extensions();
    CheckSameAsTree(event);
    event.mutable_extensions();
    CheckSameAsTree(event);
  }
  SECTION("the event's own attributes win a clash, others sort among them") {
    auto& fields = *event.mutable_extensions()->mutable_fields();
    for (const char* key : {"id",
                            "source",
                            "type",
                            "specversion",
                            "datacontenttype",
                            "topic",
                            "pubsubname",
                            "data",
                            "data_base64",
                            "a",
                            "Z",
                            "_",
                            "",
                            "dat",
                            "data0",
                            "datacontenttypf",
                            "ids",
                            "zz",
                            "\xC3\xA9",
                            "q\"uote"}) {
      fields[key].set_string_value(std::string("ext ") + key);
    }
    CheckSameAsTree(event);
    event.set_data_content_type("application/octet-stream");
    CheckSameAsTree(event);
    event.set_spec_version("");
    CheckSameAsTree(event);
  }
  SECTION("every kind of value") {
    auto& fields = *event.mutable_extensions()->mutable_fields();
    fields["null"].set_null_value(google::protobuf::NULL_VALUE);
    fields["yes"].set_bool_value(true);
    fields["no"].set_bool_value(false);
    fields["text"].set_string_value("line\nbreak \"q\" \xE4\xB8\xAD \x01");
    auto& nested = *fields["object"].mutable_struct_value()->mutable_fields();
    nested["b"].set_number_value(2);
    nested["a"].mutable_list_value()->add_values()->set_string_value("x");
    nested["a"].mutable_list_value()->add_values()->mutable_struct_value();
    nested["a"].mutable_list_value()->add_values()->mutable_list_value();
    fields["list"].mutable_list_value()->add_values()->set_number_value(1.5);
    fields["list"].mutable_list_value()->add_values()->set_null_value(google::protobuf::NULL_VALUE);
    CheckSameAsTree(event);
  }
  SECTION("numbers, as protobuf prints them and nlohmann reads them back") {
    const double numbers[] = {0,
                              -0.0,
                              1,
                              -1,
                              1.5,
                              0.1,
                              0.1 + 0.2,
                              1.0 / 3,
                              100,
                              1e14,
                              1e15,
                              1e16,
                              1e17,
                              123456789012345678.0,
                              9007199254740993.0,
                              -9007199254740993.0,
                              1e-5,
                              1.5e-7,
                              5e-324,
                              2.2250738585072014e-308,
                              std::numeric_limits<double>::max(),
                              -1e300,
                              3e10,
                              12345.678};
    for (double number : numbers) {
      (*event.mutable_extensions()->mutable_fields())["n"].set_number_value(number);
      INFO(number);
      CheckSameAsTree(event);
    }
    std::mt19937_64 random(5122026);
    for (int round = 0; round < 3000; ++round) {
      double number;
      if (round % 3 == 0) {
        uint64_t bits = random();
        std::memcpy(&number, &bits, sizeof number);
        if (!std::isfinite(number)) continue;
      } else if (round % 3 == 1) {
        number = static_cast<double>(static_cast<int64_t>(random()) >> (random() % 64));
      } else {
        number = std::ldexp(static_cast<double>(random() % 100000),
                            static_cast<int>(random() % 120) - 60);
      }
      (*event.mutable_extensions()->mutable_fields())["n"].set_number_value(number);
      INFO(number);
      CheckSameAsTree(event);
    }
  }
  SECTION("what the tree treats its own way: refused numbers, ill-formed text, deep nesting") {
    auto& fields = *event.mutable_extensions()->mutable_fields();
    SECTION("NaN") { fields["n"].set_number_value(std::nan("")); }
    SECTION("infinity") { fields["n"].set_number_value(std::numeric_limits<double>::infinity()); }
    SECTION("ill-formed text") { fields["s"].set_string_value("bad \xC3\x28"); }
    SECTION("ill-formed key") { fields["bad \xFF"].set_string_value("x"); }
    SECTION("a value of no kind") { fields["unset"]; }
    SECTION("nested deeper than the writer goes") {
      for (int depth : {31, 32, 33, 40, 99, 100, 101, 200}) {
        Value* value = &fields["deep"];
        for (int i = 0; i < depth; ++i) value = value->mutable_list_value()->add_values();
        value->set_string_value("bottom");
        INFO(depth);
        CheckSameAsTree(event);
      }
    }
    CheckSameAsTree(event);
  }
}

TEST_CASE("random events are written as the tree wrote them", "[app_http]") {
  const std::string types[] = {"", "text/plain", "application/json", "application/octet-stream",
                               "application/cloudevents+json"};
  const char kPieces[] = "{}[]\",:\\u0aZ \n\t\x01\x80\xC3\xA9\xED\xF0-+.eE19tfn";
  std::mt19937 random(6122026);
  for (int round = 0; round < 3000; ++round) {
    std::string data(random() % 40, '\0');
    for (char& c : data) c = kPieces[random() % (sizeof kPieces - 1)];
    if (round % 4 == 0) data = R"({"k":[1,"v",null]})";
    auto event = Event(types[random() % std::size(types)], data);
    event.set_id(std::string(random() % 3, kPieces[random() % (sizeof kPieces - 1)]));
    if (round % 5 == 0) event.set_spec_version("");
    auto& fields = *event.mutable_extensions()->mutable_fields();
    for (int i = random() % 4; i > 0; --i) {
      std::string key(1 + random() % 3, 'a' + random() % 26);
      // Well-formed text: ill-formed text takes the tree's road (tested above), where protobuf
      // logs every such string.
      std::string value = data.substr(0, random() % (data.size() + 1));
      if (!IsWellFormedUtf8(value)) value = "\u00e9 \" \n \x01 \xC3\xA9";
      fields[key].set_string_value(value);
    }
    INFO(round);
    CheckSameAsTree(event);
  }
}

TEST_CASE("a delivered event's envelope is written as the tree wrote it", "[app_http]") {
  cloud_events::Metadata metadata;
  for (std::string type : {"text/plain", "application/json", "application/octet-stream"}) {
    cloud_events::Published published;
    published.app_id = "checkout";
    published.pubsub_name = "pubsub";
    published.topic = "orders";
    published.data_content_type = type;
    published.data = type == "application/json" ? R"({"order":7,"items":["a","b"]})" : "text";
    published.metadata = &metadata;
    published.trace_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    auto envelope = cloud_events::Envelope(published);
    REQUIRE(envelope.ok());
    dapr::proto::components::v1::PullMessagesResponse message;
    message.set_data(*envelope);
    message.set_content_type(cloud_events::kContentType);
    appcallbackpb::TopicEventRequest event;
    REQUIRE(
        cloud_events::ToTopicEvent(message, {"pubsub", "orders", "/orders", false}, &event).ok());
    REQUIRE(event.extensions().fields_size() > 0);
    CheckSameAsTree(event);
  }
}

}  // namespace plughost
