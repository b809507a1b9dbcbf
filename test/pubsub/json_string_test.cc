// The envelope writer's JSON strings must be exactly what nlohmann::json would have written, so
// replacing the JSON tree changed no byte a component or an app receives.
#include "host/common/json_string.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <time.h>

#include <cstdio>
#include <random>
#include <string>

#include "common/bounded_json.h"
#include "host/pubsub/cloud_events.h"

namespace plughost {
namespace {

using nlohmann::json;

std::string ByNlohmann(std::string_view text) {
  return json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ByWriter(std::string_view text) {
  std::string out = "prefix:";
  AppendJsonString(text, &out);
  REQUIRE(out.rfind("prefix:", 0) == 0);
  return out.substr(7);
}

}  // namespace

TEST_CASE("JSON strings are written as nlohmann::json writes them", "[pubsub][cloudevents]") {
  const std::string samples[] = {
      "",
      "plain text, long enough to take the eight-byte path a few times over",
      "quote \" backslash \\ slash / and\ttab\nnewline\r\b\f\x01\x1f\x7f",
      std::string("nul \0 inside", 12),
      "h\xC3\xA9llo \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 emoji",
      "ill-formed \xC3 lead, \x80 lone continuation, \xED\xA0\x80 surrogate, \xF5 too high",
      "overlong \xC0\xAF and \xE0\x80\xAF, truncated at the end \xE2\x82",
      std::string(16 * 1024, 'p'),
  };
  for (const auto& sample : samples) {
    INFO(sample);
    CHECK(ByWriter(sample) == ByNlohmann(sample));
  }

  std::mt19937 random(20261204);
  for (int round = 0; round < 2000; ++round) {
    std::string text(random() % 40, '\0');
    // Mostly ASCII with some escapes and UTF-8 lead/continuation bytes mixed in.
    for (char& c : text) {
      unsigned pick = random() % 10;
      c = static_cast<char>(pick < 6   ? 0x20 + random() % 0x60
                            : pick < 8 ? random() % 0x20
                                       : 0x80 + random() % 0x80);
    }
    INFO(round);
    CHECK(ByWriter(text) == ByNlohmann(text));
  }
}

TEST_CASE("a byte that needs a look is found wherever it sits in an 8-byte word",
          "[pubsub][cloudevents]") {
  const std::string specials[] = {
      "\"", "\\", "\n", "\x01", "\x1f", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xFF", "\xC3", "\x7f"};
  for (const auto& special : specials) {
    for (size_t at = 0; at <= 24; ++at) {
      for (size_t length : {at, at + 1, at + 8, size_t{40}}) {
        std::string text(std::max(length, at), 'a');
        text.insert(at, special);
        if (at % 3 == 0) text.insert(std::min(text.size(), at + 5), special);  // a second one
        INFO(at << " " << length << " " << text);
        CHECK(ByWriter(text) == ByNlohmann(text));
        // nlohmann gives ill-formed bytes back replaced, well-formed text as it was.
        CHECK(IsWellFormedUtf8(text) == (json::parse(ByNlohmann(text)).get<std::string>() == text));
        // Read back: the same text, where nlohmann reads it.
        std::string literal = ByNlohmann(text);
        std::string read;
        size_t pos = 0;
        REQUIRE(ReadJsonString(literal, &pos, &read));
        CHECK(pos == literal.size());
        CHECK(read == json::parse(literal).get<std::string>());
      }
    }
  }
}

// ParseJsonObject must give nlohmann's tree, or fail where nlohmann fails, on anything.
void CheckSameParse(const std::string& text) {
  INFO(text);
  json expected = json::parse(text, nullptr, false);
  json actual = ParseJsonObject(text);
  REQUIRE(actual.is_discarded() == expected.is_discarded());
  if (!expected.is_discarded()) {
    CHECK(actual == expected);
    CHECK(actual.dump(-1, ' ', false, json::error_handler_t::replace) ==
          expected.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

TEST_CASE("JSON objects are parsed as nlohmann::json parses them", "[pubsub][cloudevents]") {
  const std::string documents[] = {
      "{}",
      " { } ",
      R"({"a":"b"})",
      R"({"a":"b","a":"c"})",
      R"({"data":"line\nbreak \"q\" \\ \/ \b\f\r\t \u00e9 \u4e2d \ud83d\ude00 \u0000"})",
      R"({"data":"\ud83d alone"})",
      R"({"data":"\ude00 alone"})",
      R"({"data":"\ud83d\u0041"})",
      R"({"data":"\x"})",
      R"({"data":"\u12"})",
      "{\"data\":\"raw\ttab\"}",
      "{\"data\":\"h\xC3\xA9 \xF0\x9F\x98\x80\"}",
      "{\"data\":\"bad \xC3\x28\"}",
      "{\"data\":\"bad \xED\xA0\x80\"}",
      "\xEF\xBB\xBF{\"bom\":1}",
      R"({"n":1,"f":-2.5e3,"t":true,"x":false,"z":null,"o":{"k":[1,{"d":"}"}]},"e":[]})",
      R"({"n":01})",
      R"({"n":1 2})",
      R"({"o":{"a":1}}})",
      R"({"o":[1,2]3})",
      R"({"o":{"a":"\"}"}})",
      R"({"a":"b",})",
      R"({"a":"b"} x)",
      R"({"a" "b"})",
      R"({a:"b"})",
      R"(["not", "an", "object"])",
      R"("string")",
      "",
      "{",
      R"({"a":tru})",
      R"({"a":nul, "b":1})",
  };
  for (const auto& document : documents) CheckSameParse(document);

  // Random damage to a CloudEvent-like document: every outcome must match.
  const std::string base =
      R"({"data":{"order":7,"items":["a","b"],"note":"x\"y"},"datacontenttype":"application/json",)"
      R"("id":"1","n":-1.5e2,"ok":true,"none":null,"text":"caf\u00e9 \ud83d\ude00 \n",)"
      "\"raw\":\"h\xC3\xA9\",\"list\":[1,[2,{\"z\":\"]\"}]]}";
  CheckSameParse(base);
  const char kPieces[] = "{}[]\",:\\u0aZ \n\t\x01\x80\xC3\xED\xF0-+.eE";
  std::mt19937 random(4122026);
  for (int round = 0; round < 5000; ++round) {
    std::string text = base;
    for (int edits = 1 + random() % 3; edits > 0; --edits) {
      size_t at = random() % (text.size() + 1);
      char piece = kPieces[random() % (sizeof kPieces - 1)];
      switch (random() % 3) {
        case 0:
          if (at < text.size()) text[at] = piece;
          break;
        case 1:
          text.insert(at, 1, piece);
          break;
        default:
          if (at < text.size()) text.erase(at, 1);
      }
    }
    CheckSameParse(text);
  }
}

TEST_CASE("a new envelope is what a json object of the same fields dumps to",
          "[pubsub][cloudevents]") {
  cloud_events::Metadata metadata;
  metadata["cloudevent.subject"] = "sub\"ject";
  metadata["ttlInSeconds"] = "60";
  const std::pair<std::string, std::string> cases[] = {
      {"application/octet-stream", std::string("\x00\xff\x10 binary", 10)},
      {"text/plain", "text with \"quotes\", \\ and \xC3\xA9"},
      {"text/plain", "ill-formed \xFF text"},
      // Sorted keys: the data is copied as is, the tree would sort them.
      {"application/json", R"({"items":["a","b"],"order":7})"},
      {"application/json", "not { json"},
      {"", std::string(16 * 1024, 'p')},
  };
  for (const auto& [content_type, data] : cases) {
    cloud_events::Published event;
    event.app_id = "checkout";
    event.pubsub_name = "pubsub";
    event.topic = "orders\n";
    event.data_content_type = content_type;
    event.data = data;
    event.metadata = &metadata;
    event.trace_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    auto envelope = cloud_events::Envelope(event);
    REQUIRE(envelope.ok());
    INFO(*envelope);
    auto tree = json::parse(*envelope, nullptr, false);
    REQUIRE(tree.is_object());
    CHECK(tree.dump(-1, ' ', false, json::error_handler_t::replace) == *envelope);
    CHECK(tree.contains("expiration"));
    CHECK(tree["subject"] == "sub\"ject");
  }
}

// ValidateJson must accept exactly what ParseBoundedJson keeps, and its span must be the same
// value on its own.
void CheckSameValidity(const std::string& text) {
  INFO(text);
  json expected = ParseBoundedJson(text);
  std::string_view value;
  bool valid = ValidateJson(text, &value);
  REQUIRE(valid == !expected.is_discarded());
  if (valid) {
    REQUIRE(value.data() >= text.data());
    REQUIRE(value.data() + value.size() <= text.data() + text.size());
    json alone = json::parse(value, nullptr, false);
    REQUIRE_FALSE(alone.is_discarded());
    CHECK(alone == expected);
    // Copied into another document, the span stays one value.
    CHECK(json::parse("[" + std::string(value) + "]", nullptr, false) == json::array({expected}));
  }
}

TEST_CASE("JSON is validated as nlohmann::json parses it", "[pubsub][cloudevents]") {
  const std::string documents[] = {
      "{}",
      "[]",
      " { } ",
      "[ ]",
      "0",
      "-0",
      "1",
      "-1",
      "1.5",
      "-1.5e-3",
      "1E2",
      "1e+2",
      "18446744073709551615",
      "18446744073709551616",
      "-9223372036854775809",
      "123456789012345678901234567890",
      "1e308",
      "1.7976931348623157e308",
      "1.7976931348623158e308",
      "1.7976931348623159e308",
      "1.8e308",
      "9.99e308",
      "1e309",
      "-1e309",
      "1e400",
      "0e999999999999",
      "0.000e99999",
      "1e-400",
      "1e-99999999999999999999",
      std::string(308, '9'),
      std::string(309, '9'),
      "1" + std::string(308, '0'),
      "0." + std::string(400, '0') + "1e708",
      "0." + std::string(400, '0') + "1e710",
      "01",
      "-",
      "-a",
      "1.",
      ".5",
      "1e",
      "1e+",
      "+1",
      "1.5.3",
      "0x10",
      "Infinity",
      "NaN",
      "true",
      "false",
      "null",
      "tru",
      "nul",
      "True",
      "truex",
      "true false",
      "[true,false,null]",
      R"("")",
      R"("text")",
      R"("\u00e9\ud83d\ude00\u0000\/\b\f\n\r\t\"\\")",
      R"("\ud83d")",
      R"("\ude00")",
      R"("\x")",
      "\"raw\ttab\"",
      "\"h\xC3\xA9\"",
      "\"bad \xC3\x28\"",
      "\"\xED\xA0\x80\"",
      "\"unterminated",
      R"({"a":1,"a":2})",
      R"({"b":1, "a" : [1, 2, {"c": null}] })",
      R"({"a":1,})",
      R"([1,])",
      R"([,1])",
      R"({,"a":1})",
      R"({"a" 1})",
      R"({"a":})",
      R"({a:1})",
      R"({"a":1}})",
      R"([1]])",
      R"([1}})",
      R"({"a":[1,2}})",
      R"({"a":"}"})",
      R"(["]"])",
      "\xEF\xBB\xBF{\"bom\":1}",
      "\xEF\xBB\xBF",
      "\xEF\xBB{}",
      "\xEF{}",
      " \xEF\xBB\xBF{}",
      std::string("{}\0garbage", 10),
      std::string("[1] \0 x", 7),
      std::string("12\0", 3),
      std::string("\0", 1),
      std::string("[1,\0]", 5),
      std::string("\"a\0\"", 4),
      std::string("tr\0ue", 5),
      std::string("[1]\0", 4) + std::string(kMaxJsonDepth + 1, '['),
      std::string("[1]\0", 4) + std::string(kMaxJsonDepth, '['),
      "",
      " ",
      "\n\t\r ",
      "{} x",
      "{}{}",
      "1 2",
      "\x0c{}",
      "{}\x0b",
      std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']'),
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'),
      std::string(kMaxJsonDepth - 1, '[') + "{\"a\":1}" + std::string(kMaxJsonDepth - 1, ']'),
      std::string(kMaxJsonDepth, '[') + "{}" + std::string(kMaxJsonDepth, ']'),
      std::string(100000, '['),
  };
  for (const auto& document : documents) CheckSameValidity(document);

  // Random damage to documents of every shape: every outcome must match.
  const std::string bases[] = {
      R"({"data":{"order":7,"items":["a","b"],"note":"x\"y"},"n":-1.5e2,"ok":true,"z":null,)"
      "\"text\":\"caf\\u00e9 \\ud83d\\ude00 \\n "
      "h\xC3\xA9\",\"list\":[1,[2,{\"z\":\"]\"}]],\"e\":{}}",
      R"([0, -0.5, 1e10, 2E-3, 123456789, "s", [], [[]], {"k": [true, false, null]}])",
      R"("just a string with \"escapes\" and \u0041")",
      "-12.5e+3",
  };
  const char kPieces[] = "{}[]\",:\\u0aZ \n\t\x01\x80\xC3\xED\xF0\xEF-+.eE19tfn\0";  // NUL last
  std::mt19937 random(5122026);
  for (const auto& base : bases) {
    CheckSameValidity(base);
    for (int round = 0; round < 4000; ++round) {
      std::string text = base;
      for (int edits = 1 + random() % 3; edits > 0; --edits) {
        size_t at = random() % (text.size() + 1);
        char piece = kPieces[random() % (sizeof kPieces - 1)];
        switch (random() % 3) {
          case 0:
            if (at < text.size()) text[at] = piece;
            break;
          case 1:
            text.insert(at, 1, piece);
            break;
          default:
            if (at < text.size()) text.erase(at, 1);
        }
      }
      CheckSameValidity(text);
    }
  }
}

}  // namespace plughost

namespace plughost {
namespace {

double ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

}  // namespace

// Not part of the suite (hidden tag): the host's CPU per 16 KiB event, to publish (Envelope)
// and to deliver (ToTopicEvent), printed; thread CPU time, so a loaded machine matters less.
//   build/test/pubsub/pubsub_test "[.bench]"
TEST_CASE("bench: envelope and delivery CPU per 16 KiB event", "[.bench]") {
  constexpr int kRounds = 2000;
  const std::string payload(16 * 1024, 'p');
  for (std::string content_type : {"application/octet-stream", "text/plain"}) {
    cloud_events::Metadata metadata;
    cloud_events::Published event;
    event.app_id = "bench";
    event.pubsub_name = "pubsub";
    event.topic = "bench";
    event.data_content_type = content_type;
    event.data = payload;
    event.metadata = &metadata;
    std::string envelope;
    double start = ThreadCpuMicros();
    for (int i = 0; i < kRounds; ++i) envelope = *cloud_events::Envelope(event);
    double publish = (ThreadCpuMicros() - start) / kRounds;

    dapr::proto::components::v1::PullMessagesResponse message;
    message.set_data(envelope);
    message.set_content_type(cloud_events::kContentType);
    cloud_events::Received received{"pubsub", "bench", "/bench", false};
    start = ThreadCpuMicros();
    for (int i = 0; i < kRounds; ++i) {
      dapr::proto::runtime::v1::TopicEventRequest out;
      REQUIRE(cloud_events::ToTopicEvent(message, received, &out).ok());
      REQUIRE(out.data().size() == payload.size());
    }
    double deliver = (ThreadCpuMicros() - start) / kRounds;
    std::printf("%-26s Envelope %7.1f us   ToTopicEvent %7.1f us\n", content_type.c_str(), publish,
                deliver);
  }
}

}  // namespace plughost
