// The bulk body writer must give an HTTP app what the JSON tree gave it (see
// cloud_event_body_test.cc for the entries' events), and the hidden bench times both.
#include "host/app_http/bulk_event_body.h"

#include <time.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <random>
#include <string>

#include "host/pubsub/cloud_events.h"
#include "host/app_http/cloud_event_body.h"
#include "tree_envelope.h"

namespace plughost {
namespace {

namespace appcallbackpb = ::dapr::proto::runtime::v1;
using nlohmann::json;

appcallbackpb::TopicEventCERequest CloudEvent(std::string content_type, std::string data) {
  appcallbackpb::TopicEventCERequest event;
  event.set_id("5929aaac-a5e2-4ca1-859c-edfe73f11565");
  event.set_source("checkout");
  event.set_type("com.dapr.event.sent");
  event.set_spec_version("1.0");
  event.set_data_content_type(std::move(content_type));
  event.set_data(std::move(data));
  auto& fields = *event.mutable_extensions()->mutable_fields();
  fields["topic"].set_string_value("orders");
  fields["pubsubname"].set_string_value("pubsub");
  fields["traceparent"].set_string_value("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  return event;
}

appcallbackpb::TopicEventBulkRequest Request() {
  appcallbackpb::TopicEventBulkRequest request;
  request.set_id("bulk-1");
  request.set_type("com.dapr.event.sent.bulk");
  request.set_topic("orders");
  request.set_pubsub_name("pubsub");
  request.set_path("/orders");
  (*request.mutable_metadata())["pubsubName"] = "pubsub";
  return request;
}

}  // namespace

TEST_CASE("bulk bodies are written as the tree wrote them", "[app_http]") {
  auto request = Request();
  SECTION("no entries") {}
  SECTION("entries of every kind") {
    auto* entry = request.add_entries();
    entry->set_entry_id("1");
    *entry->mutable_cloud_event() = CloudEvent("text/plain", "line\nbreak \"q\" \xC3\xA9");
    entry->set_content_type("application/cloudevents+json");
    (*entry->mutable_metadata())["b"] = "2";
    (*entry->mutable_metadata())["a"] = "1 \xE4\xB8\xAD \x01";
    (*entry->mutable_metadata())["c\"q"] = "bad \xFF";
    entry = request.add_entries();
    entry->set_entry_id("2");
    *entry->mutable_cloud_event() = CloudEvent("application/json", R"({"items":[1,2],"order":7})");
    entry = request.add_entries();
    entry->set_entry_id("3");
    *entry->mutable_cloud_event() =
        CloudEvent("application/octet-stream", std::string("\0\xFF\x01", 3));
    entry->mutable_cloud_event()->clear_extensions();
    entry->mutable_cloud_event()->set_spec_version("");
    entry = request.add_entries();
    entry->set_entry_id("4");
    entry->set_bytes(std::string("raw \0 bytes \xFF", 13));
    entry->set_content_type("application/octet-stream");
    entry = request.add_entries();
    entry->set_entry_id("5 neither bytes nor event");
    (*request.mutable_metadata())["zz"] = "last";
    (*request.mutable_metadata())["\xC3\xA9"] = "";
    request.set_id("id \"quoted\"");
  }
  std::string written = BulkEventBody(request);
  INFO(written);
  CHECK(written == tree_envelope::BulkBody(request));
}

TEST_CASE("bulk entries carry JSON data as it came", "[app_http]") {
  auto request = Request();
  auto* entry = request.add_entries();
  entry->set_entry_id("1");
  *entry->mutable_cloud_event() = CloudEvent("application/json", R"({ "b": 1, "a": 1E2 })");
  std::string written = BulkEventBody(request);
  INFO(written);
  CHECK(json::parse(written) == json::parse(tree_envelope::BulkBody(request)));
  CHECK(written.find(R"("data":{ "b": 1, "a": 1E2 },)") != std::string::npos);
}

namespace {

double ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

// Microseconds of this thread's CPU per call of `body`, best of three runs of `rounds`.
template <typename Body>
double MicrosPerCall(int rounds, Body&& body) {
  double best = 1e300;
  for (int run = 0; run < 3; ++run) {
    double start = ThreadCpuMicros();
    for (int i = 0; i < rounds; ++i) body();
    best = std::min(best, (ThreadCpuMicros() - start) / rounds);
  }
  return best;
}

// A 16 KiB event as delivery hands it to the HTTP channel: published by the host's own
// envelope, read back by ToTopicEvent (so its extensions are the real ones).
appcallbackpb::TopicEventRequest DeliveredEvent(const std::string& content_type,
                                                const std::string& data) {
  cloud_events::Metadata metadata;
  cloud_events::Published published;
  published.app_id = "bench";
  published.pubsub_name = "pubsub";
  published.topic = "bench";
  published.data_content_type = content_type;
  published.data = data;
  published.metadata = &metadata;
  published.trace_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  dapr::proto::components::v1::PullMessagesResponse message;
  message.set_data(*cloud_events::Envelope(published));
  message.set_content_type(cloud_events::kContentType);
  appcallbackpb::TopicEventRequest event;
  REQUIRE(cloud_events::ToTopicEvent(message, {"pubsub", "bench", "/bench", false}, &event).ok());
  return event;
}

}  // namespace

// Not part of the suite (hidden tag): CPU per body for 16 KiB payloads, through the JSON tree
// (before) and written straight (after); thread CPU time, so a loaded machine matters less.
//   build/test/app_http/app_http_body_test "[.bench]"
TEST_CASE("bench: HTTP app event bodies, tree vs written straight", "[.bench]") {
  constexpr size_t kSize = 16 * 1024;
  std::mt19937 random(5122026);
  std::string text;
  while (text.size() < kSize) text += "Lorem ipsum dolor sit amet, \"consectetur\" adipiscing.\n";
  text.resize(kSize);
  std::string json_data = "{\"items\":[";
  for (int i = 0; json_data.size() < kSize - 100; ++i) {
    json_data += (i ? "," : "") + std::string("{\"id\":") + std::to_string(i) +
                 ",\"name\":\"item " + std::to_string(i) +
                 "\",\"price\":" + std::to_string(i % 100) +
                 ".5,\"tags\":[\"a\",\"b\"],\"ok\":true}";
  }
  json_data += "]}";
  std::string octets(kSize, '\0');
  for (char& c : octets) c = static_cast<char>(random());

  struct Case {
    const char* name;
    std::string content_type;
    const std::string* data;
  };
  const Case cases[] = {{"text/plain", "text/plain", &text},
                        {"application/json", "application/json", &json_data},
                        {"application/octet-stream", "application/octet-stream", &octets}};
  std::printf("%-26s %-12s %10s %10s %8s\n", "data (16 KiB)", "body", "tree us", "direct us",
              "x faster");
  for (const auto& c : cases) {
    auto event = DeliveredEvent(c.content_type, *c.data);
    std::string body;
    double before = MicrosPerCall(2000, [&] { body = tree_envelope::CloudEventBody(event); });
    double after = MicrosPerCall(2000, [&] { body = CloudEventBody(event); });
    std::printf("%-26s %-12s %10.1f %10.1f %8.1f\n", c.name, "single", before, after,
                before / after);

    auto request = Request();
    for (int i = 0; i < 16; ++i) {
      auto* entry = request.add_entries();
      entry->set_entry_id(std::to_string(i));
      entry->set_content_type("application/cloudevents+json");
      auto* ce = entry->mutable_cloud_event();
      ce->set_id(event.id());
      ce->set_source(event.source());
      ce->set_type(event.type());
      ce->set_spec_version(event.spec_version());
      ce->set_data_content_type(event.data_content_type());
      ce->set_data(event.data());
      *ce->mutable_extensions() = event.extensions();
    }
    before = MicrosPerCall(200, [&] { body = tree_envelope::BulkBody(request); });
    after = MicrosPerCall(200, [&] { body = BulkEventBody(request); });
    std::printf("%-26s %-12s %10.1f %10.1f %8.1f\n", c.name, "bulk 16x", before, after,
                before / after);
  }
}

}  // namespace plughost
