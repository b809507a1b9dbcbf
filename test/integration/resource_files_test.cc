// Dapr resource files through the real host: a folder with Component and Subscription
// documents (a secretKeyRef read from a secret store, a component scoped to another app, a
// pluggable pubsub in Python with consumerID and metadata placeholders) starts the host and
// serves; a broken file stops it with exit 2 and a message naming file, document and field.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;

constexpr auto kPatience = 30s;  // Python starts slowly; never asserted as a time

std::unique_ptr<ChildProcess> StartPythonPubsub(const TempDir& dir, const std::string& name) {
  std::string socket = dir.File(name + ".sock");
  auto process = ChildProcess::Spawn(
      {RequiredEnv("PYTHON_BIN"), RequiredEnv("PYTHON_SAMPLES_DIR") + "/pubsub.py", "--socket",
       socket, "--stubs", RequiredEnv("PYTHON_STUBS_DIR")},
      dir.File(name + ".log"), {{"PYTHONDONTWRITEBYTECODE", "1"}});
  if (!WaitForSocket(socket, kPatience)) return nullptr;
  return process;
}

constexpr char kComponents[] = R"(apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: envsecrets
spec:
  type: secretstores.local.env
  version: v1
  metadata:
  - name: prefix
    value: RESTEST_
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: orders
spec:
  type: pubsub.pyps
  version: v1
  initTimeout: 20s
  metadata:
  - name: consumerID
    secretKeyRef:
      name: GROUP
auth:
  secretStore: envsecrets
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.pyps
  metadata:
  - name: note
    value: "{appID} on {podName}"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: hidden
spec:
  type: state.in-memory
scopes:
- some-other-app
)";

constexpr char kMore[] = R"(apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.in-memory
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: order-sub
spec:
  pubsubname: orders
  topic: new-orders
  routes:
    default: /orders
scopes:
- resapp
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: appconfig
spec: {}
)";

struct Host {
  Host(const TempDir& dir, const std::vector<std::string>& args,
       const std::map<std::string, std::string>& env)
      : port(FreeTcpPort()) {
    std::vector<std::string> argv = {
        RequiredEnv("PLUGHOST_BIN"),         "--sockets-dir", dir.path(), "--grpc-address",
        "127.0.0.1:" + std::to_string(port), "--ops-address", "off"};
    argv.insert(argv.end(), args.begin(), args.end());
    process = ChildProcess::Spawn(argv, dir.File("host.log"), env);
    started = WaitForPort(port, kPatience);
    dapr = rt::Dapr::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                 grpc::InsecureChannelCredentials()));
  }
  int port;
  bool started = false;
  std::unique_ptr<ChildProcess> process;
  std::unique_ptr<rt::Dapr::Stub> dapr;
};

grpc::Status Save(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                  const std::string& value) {
  rt::SaveStateRequest request;
  request.set_store_name(store);
  auto* item = request.add_states();
  item->set_key(key);
  item->set_value(value);
  google::protobuf::Empty empty;
  return dapr.SaveState(Deadline().get(), request, &empty);
}

// An app that lists no subscriptions of its own and records the events it gets.
class RecordingApp final : public rt::AppCallback::Service {
 public:
  grpc::Status ListTopicSubscriptions(grpc::ServerContext*, const google::protobuf::Empty*,
                                      rt::ListTopicSubscriptionsResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status OnTopicEvent(grpc::ServerContext*, const rt::TopicEventRequest* request,
                            rt::TopicEventResponse* response) override {
    std::lock_guard lock(mutex_);
    events_.push_back(*request);
    response->set_status(rt::TopicEventResponse::SUCCESS);
    return grpc::Status::OK;
  }
  std::vector<rt::TopicEventRequest> Events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<rt::TopicEventRequest> events_;
};

}  // namespace

TEST_CASE("a declarative Subscription delivers to the app at its route",
          "[integration][resources]") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0750);
  std::string resources = dir.File("resources");
  ::mkdir(resources.c_str(), 0750);
  WriteFile(resources + "/pubsub.yaml", R"(apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata:
  name: declared
spec:
  pubsubname: pubsub
  topic: declared-orders
  route: /declared
)");
  int app_port = FreeTcpPort();
  RecordingApp app;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(app_port),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&app);
  auto server = builder.BuildAndStart();
  REQUIRE(server);

  Host host(dir,
            {"--app-id", "decl", "--resources-path", resources, "--app-port",
             std::to_string(app_port), "--app-protocol", "grpc"},
            {});
  INFO(host.process->Log());
  REQUIRE(host.started);
  // Subscribed once the app answered its (empty) listing; GetMetadata says DECLARATIVE.
  REQUIRE(Eventually(
      [&] {
        rt::GetMetadataResponse metadata;
        if (!host.dapr->GetMetadata(Deadline().get(), rt::GetMetadataRequest(), &metadata).ok()) {
          return false;
        }
        for (const auto& s : metadata.subscriptions()) {
          if (s.topic() == "declared-orders" && s.type() == rt::DECLARATIVE) return true;
        }
        return false;
      },
      kPatience));
  rt::PublishEventRequest publish;
  publish.set_pubsub_name("pubsub");
  publish.set_topic("declared-orders");
  publish.set_data("hello");
  publish.set_data_content_type("text/plain");
  google::protobuf::Empty empty;
  REQUIRE(host.dapr->PublishEvent(Deadline().get(), publish, &empty).ok());
  REQUIRE(Eventually([&] { return !app.Events().empty(); }, kPatience));
  auto events = app.Events();
  CHECK(events[0].path() == "/declared");
  CHECK(events[0].topic() == "declared-orders");
  server->Shutdown(std::chrono::system_clock::now() + 500ms);
}

TEST_CASE("a Dapr resource folder starts the host and serves", "[integration][resources]") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0750);
  auto pyps = StartPythonPubsub(dir, "pyps");
  REQUIRE(pyps);
  std::string resources = dir.File("resources");
  ::mkdir(resources.c_str(), 0750);
  WriteFile(resources + "/components.yaml", kComponents);
  WriteFile(resources + "/more.YML", kMore);
  WriteFile(resources + "/notes.txt", "not a resource");

  Host host(dir, {"--app-id", "resapp", "--resources-path", resources},
            {{"RESTEST_GROUP", "group-from-secret"}, {"POD_NAME", "pod-9"}});
  INFO(host.process->Log());
  REQUIRE(host.started);

  // The built-in store from the second file serves, with the app id as key prefix.
  REQUIRE(Save(*host.dapr, "statestore", "k", "v").ok());
  rt::GetStateRequest get;
  get.set_store_name("statestore");
  get.set_key("k");
  rt::GetStateResponse got;
  REQUIRE(host.dapr->GetState(Deadline().get(), get, &got).ok());
  CHECK(got.data() == "v");
  // Scoped to another app: not created here.
  auto hidden = Save(*host.dapr, "hidden", "k", "v");
  CHECK(hidden.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(hidden.error_message(), Catch::Contains("hidden"));

  // The pluggable pubsubs serve, and GetMetadata lists what the files declared.
  rt::PublishEventRequest publish;
  publish.set_pubsub_name("orders");
  publish.set_topic("new-orders");
  publish.set_data("{}");
  publish.set_data_content_type("application/json");
  google::protobuf::Empty empty;
  CHECK(host.dapr->PublishEvent(Deadline().get(), publish, &empty).ok());
  rt::GetMetadataResponse metadata;
  REQUIRE(host.dapr->GetMetadata(Deadline().get(), rt::GetMetadataRequest(), &metadata).ok());
  std::map<std::string, std::string> components;
  for (const auto& c : metadata.registered_components()) components[c.name()] = c.type();
  CHECK(components == std::map<std::string, std::string>{{"envsecrets", "secretstores.local.env"},
                                                         {"events", "pubsub.pyps"},
                                                         {"orders", "pubsub.pyps"},
                                                         {"statestore", "state.in-memory"}});

  // consumerID reached the pluggable pubsub's Init: from the secret for one, the app id for
  // the other.
  CHECK(Eventually(
      [&] {
        std::string log = pyps->Log();
        return log.find("Init with consumerID 'group-from-secret'") != std::string::npos &&
               log.find("Init with consumerID 'resapp'") != std::string::npos;
      },
      kPatience));
  std::string log = host.process->Log();
  CHECK_THAT(log, !Catch::Contains("keys carry no app prefix"));  // it has an app id
  CHECK_THAT(log, Catch::Contains("kind Configuration skipped"));
  CHECK_THAT(log, Catch::Contains("'hidden' is scoped to other apps"));
}

TEST_CASE("without an app id, the host says state keys carry no app prefix",
          "[integration][resources]") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0750);
  std::string resources = dir.File("resources");
  ::mkdir(resources.c_str(), 0750);
  WriteFile(resources + "/state.yaml", kMore);
  Host host(dir, {"--resources-path", resources}, {});
  REQUIRE(host.started);
  CHECK_THAT(host.process->Log(),
             Catch::Contains("state store 'statestore': no app id (--app-id), so its keys carry "
                             "no app prefix"));
}

TEST_CASE("a broken resource file stops startup with exit 2, naming file, document and field",
          "[integration][resources]") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0750);
  std::string resources = dir.File("resources");
  ::mkdir(resources.c_str(), 0750);
  WriteFile(resources + "/a.yaml", kMore);
  WriteFile(resources + "/b.yaml",
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ok\nspec:\n"
            "  type: state.in-memory\n---\napiVersion: dapr.io/v1alpha1\nkind: Component\n"
            "metadata:\n  name: broken\nspec:\n  type: state.in-memory\n  metadata:\n"
            "  - name: password\n    secretKeyRef:\n      key: k\n");
  auto run = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(), "--grpc-address", "127.0.0.1:0",
       "--ops-address", "off", "--resources-path", resources},
      dir.File("broken.log"));
  auto code = run->WaitExit(kPatience);
  REQUIRE(code.has_value());
  CHECK(*code == 2);
  CHECK_THAT(run->Log(), Catch::Contains("plughost: " + resources +
                                         "/b.yaml: document 1: spec.metadata[0].secretKeyRef.name: "
                                         "required"));

  // A name defined in the JSON config and again in a file: both places named.
  WriteFile(resources + "/b.yaml", "");
  WriteFile(dir.File("host.json"),
            R"({"components": [{"name": "statestore", "type": "state.in-memory"}]})");
  auto duplicate = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(), "--grpc-address", "127.0.0.1:0",
       "--ops-address", "off", "--config", dir.File("host.json"), "--components-path", resources},
      dir.File("dup.log"));
  code = duplicate->WaitExit(kPatience);
  REQUIRE(code.has_value());
  CHECK(*code == 2);
  CHECK_THAT(duplicate->Log(), Catch::Contains(resources +
                                               "/a.yaml: document 0: metadata.name: component "
                                               "\"statestore\" is already defined in " +
                                               dir.File("host.json") + " (components[0])"));
}

}  // namespace plughost::testing
