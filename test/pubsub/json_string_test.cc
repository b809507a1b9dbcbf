// The envelope writer's JSON strings must be exactly what nlohmann::json would have written, so
// replacing the JSON tree changed no byte a component or an app receives.
#include "host/api/json_string.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <random>
#include <string>

#include "host/api/cloud_events.h"

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

}  // namespace plughost
