// Input bindings through the real host, past the event itself: the app's BindingEventResponse
// `to` (the response data sent on to output bindings) and `states` (saved into a state store),
// and the bindings' "direction" metadata deciding which sides serve. A real AppCallback server
// (written here) answers each event as its data asks.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;

grpc::Status Invoke(rt::Dapr::Stub& dapr, const std::string& name, const std::string& operation,
                    const std::string& data, std::map<std::string, std::string> metadata,
                    rt::InvokeBindingResponse* response) {
  rt::InvokeBindingRequest request;
  request.set_name(name);
  request.set_operation(operation);
  request.set_data(data);
  request.mutable_metadata()->insert(metadata.begin(), metadata.end());
  return dapr.InvokeBinding(Deadline().get(), request, response);
}

// Creates a record on a sample binding, which the sample then sends as an input event.
void CreateRecord(rt::Dapr::Stub& dapr, const std::string& binding, const std::string& key,
                  const std::string& data) {
  rt::InvokeBindingResponse response;
  auto status = Invoke(dapr, binding, "create", data, {{"key", key}}, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
}

// The acks the host sent a sample binding for record `key` (the sample's "acks" operation).
std::vector<nlohmann::json> AcksFor(rt::Dapr::Stub& dapr, const std::string& binding,
                                    const std::string& key) {
  rt::InvokeBindingResponse response;
  std::vector<nlohmann::json> matching;
  if (!Invoke(dapr, binding, "acks", "", {}, &response).ok()) return matching;
  for (const auto& ack : nlohmann::json::parse(response.data())) {
    if (ack["key"] == key) matching.push_back(ack);
  }
  return matching;
}

std::string GetState(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetStateResponse response;
  if (!dapr.GetState(Deadline().get(), request, &response).ok()) return "<error>";
  return response.data();
}

// Every file under `root` holding exactly `content`.
int FilesHolding(const std::string& root, const std::string& content) {
  int found = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    if (std::string(std::istreambuf_iterator<char>(in), {}) == content) ++found;
  }
  return found;
}

// The app: lists `bindings` and answers an event whose data is a JSON object with its fields
// "data", "to", "parallel", "store" and "states" ({key: value}) as a BindingEventResponse.
// Other events get an empty response.
class TestApp final : public rt::AppCallback::Service {
 public:
  explicit TestApp(std::vector<std::string> bindings) : bindings_(std::move(bindings)) {}

  grpc::Status ListInputBindings(grpc::ServerContext*, const google::protobuf::Empty*,
                                 rt::ListInputBindingsResponse* response) override {
    for (const auto& name : bindings_) response->add_bindings(name);
    return grpc::Status::OK;
  }

  grpc::Status OnBindingEvent(grpc::ServerContext*, const rt::BindingEventRequest* request,
                              rt::BindingEventResponse* response) override {
    {
      std::lock_guard lock(mutex_);
      events_.emplace_back(request->name(), request->data());
    }
    auto asked = nlohmann::json::parse(request->data(), nullptr, /*allow_exceptions=*/false);
    if (!asked.is_object()) return grpc::Status::OK;
    response->set_data(asked.value("data", ""));
    for (const auto& to : asked.value("to", std::vector<std::string>{})) response->add_to(to);
    if (asked.value("parallel", false)) {
      response->set_concurrency(rt::BindingEventResponse::PARALLEL);
    }
    response->set_store_name(asked.value("store", ""));
    const nlohmann::json states = asked.value("states", nlohmann::json::object());
    for (const auto& [key, value] : states.items()) {
      auto* state = response->add_states();
      state->set_key(key);
      state->set_value(value.get<std::string>());
    }
    return grpc::Status::OK;
  }

  int EventsFrom(const std::string& binding) {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count_if(events_.begin(), events_.end(),
                                          [&](const auto& e) { return e.first == binding; }));
  }

 private:
  std::vector<std::string> bindings_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> events_;
};

struct RunningApp {
  RunningApp(int port, std::vector<std::string> bindings) : app(std::move(bindings)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureServerCredentials());
    builder.RegisterService(&app);
    server = builder.BuildAndStart();
  }
  ~RunningApp() {
    if (server) server->Shutdown(std::chrono::system_clock::now() + 500ms);
  }
  TestApp app;
  std::unique_ptr<grpc::Server> server;
};

std::string WriteConfig(const TempDir& dir, const std::string& files_root) {
  nlohmann::json config = {
      {"app_id", "responses-test"},
      {"components",
       {{{"name", "statestore"}, {"type", "state.in-memory"}},
        {{"name", "files"},
         {"type", "bindings.localstorage"},
         {"metadata", {{"rootPath", files_root}}}},
        {{"name", "cpp-sample"}, {"type", "bindings.cpp-sample"}},
        {{"name", "out-only"},
         {"type", "bindings.cpp-sample"},
         {"metadata", {{"direction", "output"}}}},
        {{"name", "in-only"},
         {"type", "bindings.cpp-sample"},
         {"metadata", {{"direction", "input"}}}},
        // Not listed by the app, but read all the same: its direction names "input".
        {{"name", "ticker"},
         {"type", "bindings.cron"},
         {"metadata", {{"schedule", "@every 200ms"}, {"Direction", "Input"}}}}}}};
  std::string path = dir.File("config.json");
  WriteFile(path, config.dump(2));
  return path;
}

}  // namespace

TEST_CASE(
    "the app's binding response sends data on and saves states; direction decides "
    "which sides serve",
    "[integration][bindings]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  std::string files_root = dir.File("files");
  int app_port = FreeTcpPort();
  RunningApp app(app_port, {"cpp-sample", "out-only"});
  REQUIRE(app.server);
  RunningHost host(dir, dir.path(),
                   {"--config", WriteConfig(dir, files_root), "--app-address",
                    "127.0.0.1:" + std::to_string(app_port)});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  auto& dapr = host.dapr();

  SECTION("`to` sends the response data to each output binding with operation create") {
    nlohmann::json asked = {{"data", R"({"forwarded":1})"}, {"to", {"files", "out-only"}}};
    CreateRecord(dapr, "cpp-sample", "fwd", asked.dump());
    // Sequential: the event's ack waits for both sends.
    REQUIRE(Eventually([&] { return !AcksFor(dapr, "cpp-sample", "fwd").empty(); }));
    CHECK(AcksFor(dapr, "cpp-sample", "fwd").front()["data"] == R"({"forwarded":1})");
    CHECK(FilesHolding(files_root, R"({"forwarded":1})") == 1);
    rt::InvokeBindingResponse listed;
    REQUIRE(Invoke(dapr, "out-only", "list", "", {}, &listed).ok());
    bool stored = false;
    for (const auto& key : nlohmann::json::parse(listed.data())) {
      rt::InvokeBindingResponse got;
      REQUIRE(Invoke(dapr, "out-only", "get", "", {{"key", key}}, &got).ok());
      stored = stored || got.data() == R"({"forwarded":1})";
    }
    CHECK(stored);
  }

  SECTION("sequential sends stop at the first binding that cannot take the data") {
    nlohmann::json asked = {{"data", "stopped"}, {"to", {"in-only", "files"}}};
    CreateRecord(dapr, "cpp-sample", "seq", asked.dump());
    REQUIRE(Eventually([&] { return !AcksFor(dapr, "cpp-sample", "seq").empty(); }));
    // The ack comes after the sends ended, so "files" would hold the data by now.
    CHECK(FilesHolding(files_root, "stopped") == 0);
    CHECK_THAT(host.Log(), Catch::Contains("not sent to 'in-only' (nor to any binding after it): "
                                           "couldn't find output binding in-only"));
  }

  SECTION("parallel sends go to every binding that can take the data") {
    nlohmann::json asked = {
        {"data", "fanned out"}, {"to", {"in-only", "files"}}, {"parallel", true}};
    CreateRecord(dapr, "cpp-sample", "par", asked.dump());
    REQUIRE(Eventually([&] { return FilesHolding(files_root, "fanned out") == 1; }));
  }

  SECTION("`states` are saved into the named store, readable with GetState") {
    nlohmann::json one = {{"store", "statestore"}, {"states", {{"single", "one"}}}};
    CreateRecord(dapr, "cpp-sample", "st1", one.dump());
    nlohmann::json two = {{"store", "statestore"}, {"states", {{"a", "alpha"}, {"b", "beta"}}}};
    CreateRecord(dapr, "cpp-sample", "st2", two.dump());
    REQUIRE(Eventually([&] { return GetState(dapr, "statestore", "single") == "one"; }));
    REQUIRE(Eventually([&] { return GetState(dapr, "statestore", "b") == "beta"; }));
    CHECK(GetState(dapr, "statestore", "a") == "alpha");

    nlohmann::json nowhere = {{"store", "no-such-store"}, {"states", {{"x", "y"}}}};
    CreateRecord(dapr, "cpp-sample", "st3", nowhere.dump());
    REQUIRE(Eventually([&] {
      return host.Log().find("names state store 'no-such-store', which is not configured") !=
             std::string::npos;
    }));
    // The event itself still succeeds.
    REQUIRE(Eventually([&] { return !AcksFor(dapr, "cpp-sample", "st3").empty(); }));
    CHECK_FALSE(AcksFor(dapr, "cpp-sample", "st3").front().contains("error"));
  }

  SECTION(
      "direction: output-only is not read, input-only takes no calls, an explicit input "
      "is read unlisted") {
    rt::InvokeBindingResponse response;
    auto refused = Invoke(dapr, "in-only", "echo", "x", {}, &response);
    CHECK(refused.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(refused.error_message() ==
          "error invoking output binding in-only: couldn't find output binding in-only");
    REQUIRE(Invoke(dapr, "out-only", "echo", "x", {}, &response).ok());

    CHECK(Eventually([&] {
      // Its direction leaves out "input", so no input side was created at all (as in Dapr).
      return host.Log().find(
                 "listed input binding 'out-only', but none is configured; "
                 "skipped") != std::string::npos;
    }));
    // The app never listed the cron binding; its explicit direction gets it read.
    CHECK(Eventually([&] { return app.app.EventsFrom("ticker") >= 2; }));
    // A record on the output-only binding makes no event: once one made on a read binding
    // has arrived, the output-only one has had the same chance.
    CreateRecord(dapr, "out-only", "quiet", "not an event");
    CreateRecord(dapr, "cpp-sample", "loud", "an event");
    REQUIRE(Eventually([&] { return !AcksFor(dapr, "cpp-sample", "loud").empty(); }));
    CHECK(app.app.EventsFrom("out-only") == 0);
    CHECK(AcksFor(dapr, "out-only", "quiet").empty());
  }
}

}  // namespace plughost::testing
