// Hostile input against the real host: documents nested far deeper than anything real (which
// used to overflow the stack and kill the host), and the host still answering afterwards.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "test/support/http_get.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;
using nlohmann::json;

std::string WriteConfig(const TempDir& dir) {
  json config = {{"app_id", "hardening-app"},
                 {"components",
                  {{{"name", "pubsub"}, {"type", "pubsub.in-memory"}},
                   {{"name", "statestore"}, {"type", "state.in-memory"}}}}};
  std::string path = dir.File("config.json");
  WriteFile(path, config.dump(2));
  return path;
}

std::string Nested(size_t depth, const std::string& inner = "") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

grpc::Status Publish(rt::Dapr::Stub& dapr, const std::string& data, const std::string& content_type,
                     std::map<std::string, std::string> metadata = {}) {
  rt::PublishEventRequest request;
  request.set_pubsub_name("pubsub");
  request.set_topic("deep");
  request.set_data(data);
  request.set_data_content_type(content_type);
  request.mutable_metadata()->insert(metadata.begin(), metadata.end());
  google::protobuf::Empty empty;
  return dapr.PublishEvent(Deadline().get(), request, &empty);
}

// The host is alive and serving: a state round trip works.
void RequireAnswers(rt::Dapr::Stub& dapr) {
  rt::SaveStateRequest save;
  save.set_store_name("statestore");
  auto* item = save.add_states();
  item->set_key("alive");
  item->set_value("yes");
  google::protobuf::Empty empty;
  REQUIRE(dapr.SaveState(Deadline().get(), save, &empty).ok());
  rt::GetStateRequest get;
  get.set_store_name("statestore");
  get.set_key("alive");
  rt::GetStateResponse got;
  REQUIRE(dapr.GetState(Deadline().get(), get, &got).ok());
  CHECK(got.data() == "yes");
}

}  // namespace

TEST_CASE("deeply nested JSON is refused, never crashes the host", "[integration][hardening]") {
  TempDir dir;
  RunningHost host{dir, dir.path(), {"--config", WriteConfig(dir)}};
  REQUIRE(host.started());
  auto& dapr = host.dapr();

  // A subscriber, so that whatever is accepted is also delivered (and decoded) by the host.
  grpc::ClientContext subscribe_context;
  subscribe_context.set_deadline(std::chrono::system_clock::now() + 60s);
  auto stream = dapr.SubscribeTopicEventsAlpha1(&subscribe_context);
  rt::SubscribeTopicEventsRequestAlpha1 initial;
  initial.mutable_initial_request()->set_pubsub_name("pubsub");
  initial.mutable_initial_request()->set_topic("deep");
  REQUIRE(stream->Write(initial));
  rt::SubscribeTopicEventsResponseAlpha1 opened;
  REQUIRE(stream->Read(&opened));
  REQUIRE(opened.has_initial_response());

  const std::string deep = Nested(100'000);  // 200 KB, well under the message limit

  SECTION("application/json data") {
    auto status = Publish(dapr, deep, "application/json");
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(status.error_message() == "cannot create cloudevent");  // daprd's words
  }
  SECTION("application/cloudevents+json") {
    auto status =
        Publish(dapr, R"({"id":"1","data":)" + deep + "}", "application/cloudevents+json");
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(status.error_message() == "cannot create cloudevent");
  }
  SECTION("rawPayload: published as is, refused on delivery to a CloudEvent subscriber") {
    REQUIRE(Publish(dapr, deep, "application/json", {{"rawPayload", "true"}}).ok());
    // Delivery decodes the event: the host nacks it with a log line instead of crashing.
    CHECK(Eventually([&] { return host.Log().find("nested deeper than") != std::string::npos; }));
  }
  SECTION("a CloudEvent with a deep extension, published raw") {
    REQUIRE(Publish(dapr, R"({"id":"1","specversion":"1.0","ext":)" + deep + "}",
                    "application/cloudevents+json", {{"rawPayload", "true"}})
                .ok());
    CHECK(Eventually([&] { return host.Log().find("nested deeper than") != std::string::npos; }));
  }
  SECTION("a query filter nested 60,000 levels") {
    std::string filter = R"({"filter":{"AND":)" + Nested(60'000, R"({"EQ":{"a":1}})") + "}}";
    rt::QueryStateRequest query;
    query.set_store_name("statestore");
    query.set_query(filter);
    rt::QueryStateResponse response;
    auto status = dapr.QueryStateAlpha1(Deadline().get(), query, &response);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(status.error_message(), Catch::Contains("nested deeper than"));
  }

  RequireAnswers(dapr);
  subscribe_context.TryCancel();
  CHECK_FALSE(host.process().WaitExit(0ms).has_value());
}

}  // namespace plughost::testing

namespace plughost::testing {

TEST_CASE("a component answer past the receive bound fails the call, not the host",
          "[integration][hardening]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  // Requests up to 8 MiB from the app; each value stays under the component's own 4 MiB limit.
  int ops_port = FreeTcpPort();
  RunningHost host{dir,
                   dir.path(),
                   {"--max-message-bytes", std::to_string(8 << 20), "--ops-address",
                    "127.0.0.1:" + std::to_string(ops_port)}};
  REQUIRE(host.started());
  auto& dapr = host.dapr();
  const std::string value(3 << 20, 'v');  // 3 MiB
  rt::GetBulkStateRequest bulk;
  bulk.set_store_name("cpp-sample");
  for (int i = 0; i < 6; ++i) {  // 18 MiB in all: past the 16 MiB bound on one answer
    rt::SaveStateRequest save;
    save.set_store_name("cpp-sample");
    save.add_states()->set_key("big-" + std::to_string(i));
    save.mutable_states(0)->set_value(value);
    google::protobuf::Empty empty;
    REQUIRE(dapr.SaveState(Deadline().get(), save, &empty).ok());
    bulk.add_keys("big-" + std::to_string(i));
  }
  rt::GetBulkStateResponse response;
  auto status = dapr.GetBulkState(Deadline().get(), bulk, &response);
  // The bulk answer is refused (the host answers per key or fails the call, never takes it).
  bool refused = !status.ok();
  for (const auto& item : response.items()) refused = refused || !item.error().empty();
  CHECK(refused);
  // One value at a time still works, and the host still serves.
  rt::GetStateRequest get;
  get.set_store_name("cpp-sample");
  get.set_key("big-0");
  rt::GetStateResponse got;
  REQUIRE(dapr.GetState(Deadline().get(), get, &got).ok());
  CHECK(got.data().size() == value.size());
  auto metrics = HttpGet(ops_port, "/metrics");
  CHECK_THAT(
      metrics.body,
      Catch::Contains(R"(plughost_limit_hits_total{limit="component_response_too_large"} )"));
  CHECK_THAT(
      metrics.body,
      !Catch::Contains(R"(plughost_limit_hits_total{limit="component_response_too_large"} 0)"));
  CHECK_FALSE(host.process().WaitExit(0ms).has_value());
}

}  // namespace plughost::testing

namespace plughost::testing {

TEST_CASE("a streaming subscriber that never reads holds the publisher back, not the host's memory",
          "[integration][hardening]") {
  TempDir dir;
  RunningHost host{dir, dir.path(), {"--config", WriteConfig(dir)}};
  REQUIRE(host.started());
  auto& dapr = host.dapr();
  grpc::ClientContext subscribe_context;
  auto stream = dapr.SubscribeTopicEventsAlpha1(&subscribe_context);
  rt::SubscribeTopicEventsRequestAlpha1 initial;
  initial.mutable_initial_request()->set_pubsub_name("pubsub");
  initial.mutable_initial_request()->set_topic("stuck");
  REQUIRE(stream->Write(initial));
  rt::SubscribeTopicEventsResponseAlpha1 opened;
  REQUIRE(stream->Read(&opened));  // after this the app reads nothing and answers nothing

  const std::string payload(1024, 'p');
  int accepted = 0;
  grpc::Status refused;
  for (int i = 0; i < 20'000; ++i) {
    rt::PublishEventRequest request;
    request.set_pubsub_name("pubsub");
    request.set_topic("stuck");
    request.set_data(payload);
    request.set_data_content_type("text/plain");
    google::protobuf::Empty empty;
    auto status = dapr.PublishEvent(Deadline().get(), request, &empty);
    if (!status.ok()) {
      refused = status;
      break;
    }
    ++accepted;
  }
  INFO(refused.error_message());
  // daprd's code and words for a component's publish error, with the component's reason.
  CHECK(refused.error_code() == grpc::StatusCode::INTERNAL);
  CHECK_THAT(refused.error_message(), Catch::Contains("not yet acked; try again later"));
  CHECK(accepted == 10'000);  // the built-in pubsub's bound on unacked messages per subscriber
  RequireAnswers(dapr);
  subscribe_context.TryCancel();
}

}  // namespace plughost::testing

namespace plughost::testing {

TEST_CASE("the host raises its open file limit to the hard limit", "[integration][hardening]") {
  rlimit ours{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &ours) == 0);
  if (ours.rlim_max != RLIM_INFINITY && ours.rlim_max <= 256) {
    WARN("hard open file limit " << ours.rlim_max << ": nothing to raise");
    return;
  }
  // The host inherits a low soft limit, as under a shell's default of 1,024.
  rlimit low = ours;
  low.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  TempDir dir;
  RunningHost host{dir, dir.path()};
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &ours) == 0);
  REQUIRE(host.started());

  std::ifstream limits("/proc/" + std::to_string(host.process().pid()) + "/limits");
  std::string line, soft, hard;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    fields >> soft >> hard;
  }
  REQUIRE_FALSE(soft.empty());
  CHECK(soft == hard);
  CHECK(soft != "256");
  CHECK_THAT(host.Log(), Catch::Contains("open file limit raised from 256"));
}

}  // namespace plughost::testing
