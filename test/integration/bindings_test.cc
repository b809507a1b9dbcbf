// Bindings through the real host: InvokeBinding on the built-in bindings.localstorage and on the
// pluggable C++ sample, Dapr's errors, and input-binding events delivered to a real AppCallback
// server (written here) with the app's response travelling back to the component's ack.
#include <catch2/catch.hpp>
#include <signal.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;

struct Invoked {
  grpc::Status status;
  rt::InvokeBindingResponse response;
  std::multimap<std::string, std::string> headers;
};

Invoked Invoke(rt::Dapr::Stub& dapr, const std::string& name, const std::string& operation,
               const std::string& data = "", std::map<std::string, std::string> metadata = {},
               std::map<std::string, std::string> call_metadata = {}) {
  rt::InvokeBindingRequest request;
  request.set_name(name);
  request.set_operation(operation);
  request.set_data(data);
  request.mutable_metadata()->insert(metadata.begin(), metadata.end());
  auto context = Deadline();
  for (const auto& [key, value] : call_metadata) context->AddMetadata(key, value);
  Invoked out;
  out.status = dapr.InvokeBinding(context.get(), request, &out.response);
  for (const auto& [key, value] : context->GetServerInitialMetadata()) {
    out.headers.emplace(std::string(key.data(), key.size()),
                        std::string(value.data(), value.size()));
  }
  return out;
}

// The app: lists its input bindings and answers each event with "app saw <data>". An event
// whose data starts with "fail-once:" is refused the first time it arrives.
class TestApp final : public rt::AppCallback::Service {
 public:
  struct Event {
    std::string name;
    std::string data;
    std::map<std::string, std::string> metadata;
  };

  explicit TestApp(std::vector<std::string> bindings) : bindings_(std::move(bindings)) {}

  grpc::Status ListInputBindings(grpc::ServerContext*, const google::protobuf::Empty*,
                                 rt::ListInputBindingsResponse* response) override {
    for (const auto& name : bindings_) response->add_bindings(name);
    return grpc::Status::OK;
  }

  grpc::Status OnBindingEvent(grpc::ServerContext*, const rt::BindingEventRequest* request,
                              rt::BindingEventResponse* response) override {
    std::lock_guard lock(mutex_);
    events_.push_back({request->name(),
                       request->data(),
                       {request->metadata().begin(), request->metadata().end()}});
    if (request->data().rfind("fail-once:", 0) == 0 && refused_.insert(request->data()).second) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "not now");
    }
    response->set_data("app saw " + request->data());
    return grpc::Status::OK;
  }

  std::vector<Event> Events(const std::string& name) {
    std::lock_guard lock(mutex_);
    std::vector<Event> matching;
    for (const auto& event : events_) {
      if (event.name == name) matching.push_back(event);
    }
    return matching;
  }

 private:
  std::vector<std::string> bindings_;
  std::mutex mutex_;
  std::vector<Event> events_;
  std::set<std::string> refused_;
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
  nlohmann::json config = {{"app_id", "bindings-test"},
                           {"components",
                            {{{"name", "files"},
                              {"type", "bindings.localstorage"},
                              {"metadata", {{"rootPath", files_root}}}},
                             {{"name", "ticker"},
                              {"type", "bindings.cron"},
                              {"metadata", {{"schedule", "@every 200ms"}}}}}}};
  std::string path = dir.File("config.json");
  WriteFile(path, config.dump(2));
  return path;
}

// The sample's "acks" operation: what the host acked, per record key.
nlohmann::json Acks(rt::Dapr::Stub& dapr) {
  auto acks = Invoke(dapr, "cpp-sample", "acks");
  if (!acks.status.ok()) return nlohmann::json::array();
  return nlohmann::json::parse(acks.response.data());
}

std::vector<nlohmann::json> AcksFor(rt::Dapr::Stub& dapr, const std::string& key) {
  std::vector<nlohmann::json> matching;
  for (const auto& ack : Acks(dapr)) {
    if (ack["key"] == key) matching.push_back(ack);
  }
  return matching;
}

}  // namespace

TEST_CASE("InvokeBinding reaches bindings.localstorage and the pluggable sample",
          "[integration][bindings]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  std::string files_root = dir.File("files");
  RunningHost host(dir, dir.path(), {"--config", WriteConfig(dir, files_root)});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  auto& dapr = host.dapr();

  SECTION("bindings.localstorage stores files under rootPath") {
    auto created = Invoke(dapr, "files", "create", "hello file", {{"fileName", "greeting.txt"}});
    INFO(created.status.error_message());
    REQUIRE(created.status.ok());
    CHECK(created.response.metadata().at("fileName") == "greeting.txt");
    CHECK(nlohmann::json::parse(created.response.data())["fileName"] == "greeting.txt");
    // Dapr also returns the response metadata as "metadata.<key>" headers.
    CHECK(created.headers.count("metadata.filename") == 1);
    std::ifstream on_disk(files_root + "/greeting.txt");
    CHECK(std::string(std::istreambuf_iterator<char>(on_disk), {}) == "hello file");

    auto got = Invoke(dapr, "files", "get", "", {{"fileName", "greeting.txt"}});
    REQUIRE(got.status.ok());
    CHECK(got.response.data() == "hello file");
    auto listed = Invoke(dapr, "files", "list");
    REQUIRE(listed.status.ok());
    CHECK(nlohmann::json::parse(listed.response.data()) == nlohmann::json{"greeting.txt"});
    REQUIRE(Invoke(dapr, "files", "delete", "", {{"fileName", "greeting.txt"}}).status.ok());

    auto missing = Invoke(dapr, "files", "get", "", {{"fileName", "greeting.txt"}});
    CHECK(missing.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(missing.status.error_message() ==
          "error invoking output binding files: file \"greeting.txt\" not found");
    auto escape = Invoke(dapr, "files", "create", "x", {{"fileName", "../escaped.txt"}});
    CHECK(escape.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK_THAT(
        escape.status.error_message(),
        Catch::StartsWith("error invoking output binding files: fileName \"../escaped.txt\""));
    CHECK_FALSE(std::filesystem::exists(dir.File("escaped.txt")));
  }

  SECTION("the pluggable sample's operations, data and metadata pass through") {
    auto created = Invoke(dapr, "cpp-sample", "create", "record data", {{"key", "r1"}});
    REQUIRE(created.status.ok());
    CHECK(created.response.metadata().at("key") == "r1");
    auto got = Invoke(dapr, "cpp-sample", "get", "", {{"key", "r1"}});
    REQUIRE(got.status.ok());
    CHECK(got.response.data() == "record data");
    auto listed = Invoke(dapr, "cpp-sample", "list");
    REQUIRE(listed.status.ok());
    CHECK(nlohmann::json::parse(listed.response.data()) == nlohmann::json{"r1"});

    // Request metadata and the app's own call metadata both reach the component.
    auto echoed = Invoke(dapr, "cpp-sample", "echo", std::string("bin\0ary", 7),
                         {{"color", "blue"}}, {{"x-trace-me", "yes"}});
    REQUIRE(echoed.status.ok());
    CHECK(echoed.response.data() == std::string("bin\0ary", 7));
    CHECK(echoed.response.metadata().at("color") == "blue");
    CHECK(echoed.response.metadata().at("x-trace-me") == "yes");
    CHECK(echoed.headers.count("metadata.color") == 1);

    auto failed = Invoke(dapr, "cpp-sample", "fail", "the component says no");
    CHECK(failed.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(failed.status.error_message() ==
          "error invoking output binding cpp-sample: the component says no");

    auto missing = Invoke(dapr, "cpp-sample", "get", "", {{"key", "nope"}});
    CHECK(missing.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(missing.status.error_message() ==
          "error invoking output binding cpp-sample: record nope not found");
  }

  SECTION("unknown operations and bindings get Dapr's errors") {
    auto unknown_operation = Invoke(dapr, "cpp-sample", "nope");
    CHECK(unknown_operation.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(unknown_operation.status.error_message() ==
          "error invoking output binding cpp-sample: binding cpp-sample does not support "
          "operation nope. supported operations:create get list echo acks fail");
    auto builtin_operation = Invoke(dapr, "files", "rename");
    CHECK(builtin_operation.status.error_message() ==
          "error invoking output binding files: binding files does not support operation "
          "rename. supported operations:create get delete list");

    auto unknown_binding = Invoke(dapr, "no-such-binding", "create");
    CHECK(unknown_binding.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(unknown_binding.status.error_message() ==
          "error invoking output binding no-such-binding: couldn't find output binding "
          "no-such-binding");
    // An input-only binding is no output binding.
    CHECK(Invoke(dapr, "ticker", "create").status.error_message() ==
          "error invoking output binding ticker: couldn't find output binding ticker");

    auto no_operation = Invoke(dapr, "cpp-sample", "");
    CHECK(no_operation.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(no_operation.status.error_message() ==
          "error invoking output binding cpp-sample: operation field is missing from request");
  }

  SECTION("the metadata API reports both binding directions") {
    rt::GetMetadataResponse metadata;
    REQUIRE(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
    std::set<std::string> seen;
    for (const auto& c : metadata.registered_components()) {
      for (const auto& capability : c.capabilities()) {
        seen.insert(c.name() + "/" + c.type() + "/" + capability);
      }
    }
    CHECK(seen.count("cpp-sample/bindings.cpp-sample/INPUT_BINDING"));
    CHECK(seen.count("cpp-sample/bindings.cpp-sample/OUTPUT_BINDING"));
    CHECK(seen.count("files/bindings.localstorage/OUTPUT_BINDING"));
    CHECK(seen.count("ticker/bindings.cron/INPUT_BINDING"));
  }
}

TEST_CASE("input binding events reach the app and its answers reach the component",
          "[integration][bindings]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  int app_port = FreeTcpPort();
  RunningApp app(app_port, {"cpp-sample", "ticker", "not-configured"});
  REQUIRE(app.server);
  RunningHost host(dir, dir.path(),
                   {"--config", WriteConfig(dir, dir.File("files")), "--app-address",
                    "127.0.0.1:" + std::to_string(app_port)});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  auto& dapr = host.dapr();

  SECTION(
      "a record created through the output side arrives as an event; the app's answer is "
      "the ack") {
    REQUIRE(Invoke(dapr, "cpp-sample", "create", "hello app", {{"key", "k1"}}).status.ok());
    REQUIRE(Eventually([&] { return !app.app.Events("cpp-sample").empty(); }));
    auto event = app.app.Events("cpp-sample").front();
    CHECK(event.data == "hello app");
    CHECK(event.metadata["key"] == "k1");
    CHECK(event.metadata["operation"] == "create");

    REQUIRE(Eventually([&] { return !AcksFor(dapr, "k1").empty(); }));
    auto ack = AcksFor(dapr, "k1").front();
    CHECK(ack["data"] == "app saw hello app");
    CHECK_FALSE(ack.contains("error"));
  }

  SECTION("an event the app refuses is acked with the error and redelivered") {
    REQUIRE(Invoke(dapr, "cpp-sample", "create", "fail-once:x", {{"key", "k2"}}).status.ok());
    REQUIRE(Eventually([&] { return AcksFor(dapr, "k2").size() >= 2; }));
    auto acks = AcksFor(dapr, "k2");
    CHECK(acks[0]["attempt"] == 1);
    CHECK_THAT(acks[0]["error"].get<std::string>(), Catch::Contains("not now"));
    CHECK(acks[1]["attempt"] == 2);
    CHECK(acks[1]["data"] == "app saw fail-once:x");
    CHECK(app.app.Events("cpp-sample").size() == 2);
  }

  SECTION("bindings.cron ticks reach the app") {
    REQUIRE(Eventually([&] { return app.app.Events("ticker").size() >= 3; }));
    auto tick = app.app.Events("ticker").front();
    CHECK(tick.metadata["schedule"] == "@every 200ms");
    CHECK(tick.metadata.count("readTimeUTC") == 1);

    // Delivery in full flow does not hold up a clean shutdown.
    host.process().Signal(SIGTERM);
    CHECK(host.process().WaitExit(15s) == 0);
  }

  SECTION("a listed name with no input binding is skipped with a log line") {
    REQUIRE(Eventually([&] {
      return host.Log().find("input binding 'not-configured', but none is configured") !=
             std::string::npos;
    }));
  }
}

TEST_CASE("events wait for an app that starts after the host", "[integration][bindings]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  int app_port = FreeTcpPort();
  RunningHost host(dir, dir.path(), {"--app-address", "127.0.0.1:" + std::to_string(app_port)});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  auto& dapr = host.dapr();

  // No app yet: the record's event waits in the component.
  REQUIRE(Invoke(dapr, "cpp-sample", "create", "early", {{"key", "early"}}).status.ok());
  RunningApp app(app_port, {"cpp-sample"});
  REQUIRE(app.server);
  REQUIRE(Eventually([&] { return !AcksFor(dapr, "early").empty(); }));
  CHECK(AcksFor(dapr, "early").front()["data"] == "app saw early");
  CHECK(app.app.Events("cpp-sample").front().data == "early");
}

TEST_CASE("the Read stream comes back after the component restarts", "[integration][bindings]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  int app_port = FreeTcpPort();
  RunningApp app(app_port, {"cpp-sample"});
  REQUIRE(app.server);
  RunningHost host(dir, dir.path(), {"--app-address", "127.0.0.1:" + std::to_string(app_port)});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  auto& dapr = host.dapr();

  REQUIRE(Invoke(dapr, "cpp-sample", "create", "before", {{"key", "before"}}).status.ok());
  REQUIRE(Eventually([&] { return !AcksFor(dapr, "before").empty(); }));

  sample->Signal(SIGKILL);
  sample->WaitExit(5s);
  sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  // Once the host has re-initialised the component, a new record reaches the app again.
  REQUIRE(Eventually([&] {
    return Invoke(dapr, "cpp-sample", "create", "after", {{"key", "after"}}).status.ok();
  }));
  REQUIRE(Eventually([&] {
    for (const auto& event : app.app.Events("cpp-sample")) {
      if (event.data == "after") return true;
    }
    return false;
  }));
  REQUIRE(Eventually([&] { return !AcksFor(dapr, "after").empty(); }));
  CHECK(AcksFor(dapr, "after").front()["data"] == "app saw after");
}

}  // namespace plughost::testing
