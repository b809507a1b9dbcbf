// The API's own call metrics, served in-process over a real socket with the host's interceptor
// factory installed as host/runtime does: every unary call is recorded once, under its method,
// the component its request names ("(unknown)" for names no instance has) and the code the app
// got; streams and methods the host does not serve are still recorded by the interceptor.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "host/api/dapr_api.h"
#include "host/api/layotto_api.h"
#include "host/builtins/hello_world.h"
#include "host/builtins/in_memory_state_store.h"
#include "host/common/limit_hits.h"
#include "host/ops/metrics.h"
#include "host/ops/metrics_interceptor.h"

namespace plughost {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
namespace layotto = ::spec::proto::runtime::v1;

void AddInstance(InstanceTable& instances, std::string name, std::string type, ComponentKind kind,
                 std::shared_ptr<Component> component) {
  std::optional<grpc::Status> init;
  component->Init(InitSpec{name, type, {}}, [&](grpc::Status status) { init = status; });
  REQUIRE(init.has_value());
  REQUIRE(init->ok());
  InstanceInfo info;
  info.name = std::move(name);
  info.type = std::move(type);
  info.kind = kind;
  info.source = "built-in";
  info.component = std::move(component);
  REQUIRE(instances.Add(std::move(info)).ok());
}

// A store whose Get throws inside the handler's own call to it, as a buggy component wrapper could.
class ThrowingStateStore : public InMemoryStateStore {
 public:
  void Get(statepb::GetRequest, const CallOptions&, Callback<statepb::GetResponse>) override {
    throw std::runtime_error("boom");
  }
};

// Counts which of Delete and BulkDelete the API called.
class RecordingStateStore : public InMemoryStateStore {
 public:
  void Delete(statepb::DeleteRequest request, const CallOptions& options,
              StatusCallback done) override {
    ++deletes;
    InMemoryStateStore::Delete(std::move(request), options, std::move(done));
  }
  void BulkDelete(statepb::BulkDeleteRequest request, const CallOptions& options,
                  StatusCallback done) override {
    ++bulk_deletes;
    InMemoryStateStore::BulkDelete(std::move(request), options, std::move(done));
  }
  std::atomic<int> deletes{0};
  std::atomic<int> bulk_deletes{0};
};

struct MeteredApi {
  MeteredApi() {
    char pattern[] = "/tmp/ph-metrics-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    AddInstance(instances, "statestore", "state.in-memory", ComponentKind::kState,
                std::make_shared<InMemoryStateStore>());
    AddInstance(instances, "greeter", "hello.helloworld", ComponentKind::kHello,
                std::make_shared<HelloWorld>());
    AddInstance(instances, "throwing", "state.throwing", ComponentKind::kState,
                std::make_shared<ThrowingStateStore>());
    AddInstance(instances, "recording", "state.recording", ComponentKind::kState, recording);
    context.instances = &instances;
    context.metrics = &metrics;
    dapr_api = std::make_unique<DaprApi>(&context);
    layotto_api = std::make_unique<LayottoApi>(&context);

    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + dir + "/api.sock", grpc::InsecureServerCredentials());
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(MakeMetricsInterceptorFactory(&metrics, &instances));
    builder.experimental().SetInterceptorCreators(std::move(creators));
    builder.RegisterService(dapr_api.get());
    builder.RegisterService(layotto_api.get());
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    channel = grpc::CreateChannel("unix:" + dir + "/api.sock", grpc::InsecureChannelCredentials());
    dapr = rt::Dapr::NewStub(channel);
  }
  ~MeteredApi() {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server.reset();
    std::filesystem::remove_all(dir);
  }

  grpc::StatusCode GetState(const std::string& store, const std::string& key,
                            std::string* message = nullptr) {
    grpc::ClientContext call;
    call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    rt::GetStateRequest request;
    request.set_store_name(store);
    request.set_key(key);
    rt::GetStateResponse response;
    auto status = dapr->GetState(&call, request, &response);
    if (message) *message = status.error_message();
    return status.error_code();
  }
  std::string Rendered() const { return metrics.Render(instances, nullptr); }

  std::string dir;
  std::shared_ptr<RecordingStateStore> recording = std::make_shared<RecordingStateStore>();
  InstanceTable instances;
  Metrics metrics;
  ApiContext context;
  std::unique_ptr<DaprApi> dapr_api;
  std::unique_ptr<LayottoApi> layotto_api;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rt::Dapr::Stub> dapr;
};

// The value of one series in `metrics` ("" when absent): exact, so "2" is not "24".
std::string ValueOf(const std::string& metrics, const std::string& series) {
  auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return "";
  auto start = at + series.size() + 2;
  return metrics.substr(start, metrics.find('\n', start) - start);
}

}  // namespace

TEST_CASE("a unary call is recorded once, under its method, component and code", "[api][metrics]") {
  MeteredApi api;
  REQUIRE(api.GetState("statestore", "k") == grpc::StatusCode::OK);
  REQUIRE(api.GetState("statestore", "k") == grpc::StatusCode::OK);
  // Fails after the store was found: still that store's series.
  REQUIRE(api.GetState("statestore", "") == grpc::StatusCode::INVALID_ARGUMENT);

  auto metrics = api.Rendered();
  // Twice, not four times: the interceptor does not record unary calls as well.
  const std::string labels = R"(method="Dapr/GetState",component="statestore")";
  CHECK(ValueOf(metrics, "plughost_api_calls_total{" + labels + R"(,code="OK"})") == "2");
  CHECK(ValueOf(metrics, "plughost_api_calls_total{" + labels + R"(,code="INVALID_ARGUMENT"})") ==
        "1");
  CHECK(ValueOf(metrics, "plughost_api_errors_total{" + labels + "}") == "1");
  CHECK(ValueOf(metrics, "plughost_api_call_duration_seconds_count{" + labels + "}") == "3");
}

TEST_CASE("names no instance has share the (unknown) label; other kinds' names keep theirs",
          "[api][metrics]") {
  MeteredApi api;
  REQUIRE(api.GetState("nosuchstore", "k") == grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(api.GetState("other-missing", "k") == grpc::StatusCode::INVALID_ARGUMENT);
  // "greeter" is a hello instance, not a state store: the call fails, the name is an instance's.
  REQUIRE(api.GetState("greeter", "k") == grpc::StatusCode::INVALID_ARGUMENT);

  auto metrics = api.Rendered();
  CHECK_THAT(
      metrics,
      Catch::Contains(
          R"x(plughost_api_calls_total{method="Dapr/GetState",component="(unknown)",code="INVALID_ARGUMENT"} 2)x"));
  CHECK_THAT(
      metrics,
      Catch::Contains(
          R"(plughost_api_calls_total{method="Dapr/GetState",component="greeter",code="INVALID_ARGUMENT"} 1)"));
  CHECK_THAT(metrics, !Catch::Contains("nosuchstore"));
  CHECK_THAT(metrics, !Catch::Contains("other-missing"));
}

TEST_CASE("each unary method records under its own name, Alpha1 names included", "[api][metrics]") {
  MeteredApi api;
  {
    grpc::ClientContext call;
    rt::GetMetadataResponse response;
    REQUIRE(api.dapr->GetMetadata(&call, rt::GetMetadataRequest(), &response).ok());
  }
  {
    // Layotto's SayHello names its component in service_name (`name` is whom to greet).
    auto layotto_stub = layotto::Runtime::NewStub(api.channel);
    grpc::ClientContext call;
    layotto::SayHelloRequest request;
    request.set_service_name("greeter");
    request.set_name("world");
    layotto::SayHelloResponse response;
    REQUIRE(layotto_stub->SayHello(&call, request, &response).ok());
  }
  {
    grpc::ClientContext call;
    rt::GetConfigurationRequest request;
    request.set_store_name("config");
    rt::GetConfigurationResponse response;
    REQUIRE(api.dapr->GetConfigurationAlpha1(&call, request, &response).error_code() ==
            grpc::StatusCode::FAILED_PRECONDITION);  // no configuration store at all
  }

  auto metrics = api.Rendered();
  // A call that names no component has the empty label.
  CHECK_THAT(
      metrics,
      Catch::Contains(
          R"(plughost_api_calls_total{method="Dapr/GetMetadata",component="",code="OK"} 1)"));
  CHECK_THAT(
      metrics,
      Catch::Contains(
          R"(plughost_api_calls_total{method="Runtime/SayHello",component="greeter",code="OK"} 1)"));
  CHECK_THAT(
      metrics,
      Catch::Contains(
          R"x(plughost_api_calls_total{method="Dapr/GetConfigurationAlpha1",component="(unknown)",code="FAILED_PRECONDITION"} 1)x"));
  CHECK_THAT(metrics, !Catch::Contains(R"(method="Dapr/GetConfiguration",)"));
}

TEST_CASE("streams and methods the host does not serve are still recorded", "[api][metrics]") {
  MeteredApi api;
  {
    grpc::ClientContext call;
    rt::SubscribeConfigurationRequest request;
    request.set_store_name("config");
    auto reader = api.dapr->SubscribeConfiguration(&call, request);
    rt::SubscribeConfigurationResponse response;
    while (reader->Read(&response)) {
    }
    REQUIRE(reader->Finish().error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    // A component protocol's method, which the API port does not serve.
    auto stranger = ::dapr::proto::components::v1::StateStore::NewStub(api.channel);
    grpc::ClientContext call;
    ::dapr::proto::components::v1::PingResponse response;
    REQUIRE(stranger->Ping(&call, ::dapr::proto::components::v1::PingRequest(), &response)
                .error_code() == grpc::StatusCode::UNIMPLEMENTED);
  }

  auto metrics = api.Rendered();
  CHECK_THAT(
      metrics,
      Catch::Contains(
          R"x(plughost_api_calls_total{method="Dapr/SubscribeConfiguration",component="(unknown)",code="FAILED_PRECONDITION"} 1)x"));
  CHECK_THAT(
      metrics,
      Catch::Contains(
          R"(plughost_api_calls_total{method="StateStore/Ping",component="",code="UNIMPLEMENTED"} 1)"));
}

TEST_CASE("a handler that throws answers INTERNAL, finishes its reactor and is counted",
          "[api][metrics]") {
  MeteredApi api;
  auto hits_before = limit_hits::Hits(limit_hits::Limit::kHandlerException);
  for (int i = 0; i < 100; ++i) {
    std::string message;
    REQUIRE(api.GetState("throwing", "k", &message) == grpc::StatusCode::INTERNAL);
    CHECK(message == "unexpected error: boom");
  }
  // The host still serves, and every call was recorded once.
  CHECK(api.GetState("statestore", "k") == grpc::StatusCode::OK);
  auto metrics = api.Rendered();
  CHECK(
      ValueOf(
          metrics,
          R"(plughost_api_calls_total{method="Dapr/GetState",component="throwing",code="INTERNAL"})") ==
      "100");
  CHECK(limit_hits::Hits(limit_hits::Limit::kHandlerException) - hits_before == 100);
  CHECK_THAT(metrics, Catch::Contains(R"(plughost_limit_hits_total{limit="handler_exception"})"));
}

TEST_CASE("QueryStateAlpha1 refuses fields of the wrong type as daprd's decoder does",
          "[api][state]") {
  MeteredApi api;
  for (std::string query :
       {R"({"sort":[{"key":"a","order":1}]})", R"({"sort":{"key":"a"}})", R"({"sort":[{"key":7}]})",
        R"({"page":{"limit":"ten"}})", R"({"page":{"token":1}})", R"({"page":[]})", R"([])", "{"}) {
    grpc::ClientContext call;
    call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    rt::QueryStateRequest request;
    request.set_store_name("statestore");
    request.set_query(query);
    rt::QueryStateResponse response;
    auto status = api.dapr->QueryStateAlpha1(&call, request, &response);
    INFO(query << " -> " << status.error_message());
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(status.error_message(), Catch::StartsWith("failed parsing query"));
  }
  // null reads as absent, and a string order is taken as written.
  grpc::ClientContext call;
  rt::QueryStateRequest request;
  request.set_store_name("statestore");
  request.set_query(R"({"sort":[{"key":"a","order":"DESC"}],"page":{"limit":null}})");
  rt::QueryStateResponse response;
  CHECK(api.dapr->QueryStateAlpha1(&call, request, &response).error_code() !=
        grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("calls to made-up method names share one bounded label", "[api][metrics]") {
  MeteredApi api;
  grpc::GenericStub generic(api.channel);
  for (int i = 0; i < 2000; ++i) {
    grpc::ClientContext call;
    call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::ByteBuffer request, response;
    grpc::Slice empty("");
    request = grpc::ByteBuffer(&empty, 1);
    std::string path = i % 2 == 0 ? "/made.up.Service" + std::to_string(i) + "/Call"
                                  : "/dapr.proto.runtime.v1.Dapr/NoSuchMethod" + std::to_string(i);
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<grpc::Status> status;
    generic.UnaryCall(&call, path, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      std::lock_guard lock(mutex);
      status = s;
      cv.notify_all();
    });
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return status.has_value(); });
    REQUIRE(status->error_code() == grpc::StatusCode::UNIMPLEMENTED);
  }
  auto metrics = api.Rendered();
  size_t series = 0;
  for (size_t at = metrics.find("\nplughost_api_calls_total{"); at != std::string::npos;
       at = metrics.find("\nplughost_api_calls_total{", at + 1)) {
    ++series;
  }
  CHECK(series == 1);
  CHECK(
      ValueOf(metrics,
              R"(plughost_api_calls_total{method="unknown",component="",code="UNIMPLEMENTED"})") ==
      "2000");
  CHECK_THAT(metrics, !Catch::Contains("made.up"));
  CHECK_THAT(metrics, !Catch::Contains("NoSuchMethod"));
}

TEST_CASE("subscription lag keeps a bounded number of topic series", "[api][metrics]") {
  SubscriptionLag lag;
  const size_t topics = SubscriptionLag::kMaxTopicSeries + 500;
  for (size_t i = 0; i < topics; ++i) {
    auto token = lag.Received("pubsub", "topic-" + std::to_string(i));
    lag.Settled("pubsub", "topic-" + std::to_string(i), token, /*acked=*/true);
  }
  std::string out;
  lag.Render(out);
  size_t series = 0;
  for (size_t at = out.find("\nplughost_subscription_pending_messages{"); at != std::string::npos;
       at = out.find("\nplughost_subscription_pending_messages{", at + 1)) {
    ++series;
  }
  CHECK(series == SubscriptionLag::kMaxTopicSeries + 1);
  CHECK(
      ValueOf(
          out,
          R"x(plughost_subscription_messages_total{pubsub="pubsub",topic="(other)",outcome="acked"})x") ==
      "500");
}

TEST_CASE("DeleteBulkState with one item calls the store's Delete, as daprd does", "[api][state]") {
  MeteredApi api;
  auto delete_bulk = [&](std::vector<std::string> keys) {
    grpc::ClientContext call;
    call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    rt::DeleteBulkStateRequest request;
    request.set_store_name("recording");
    for (const auto& key : keys) request.add_states()->set_key(key);
    google::protobuf::Empty empty;
    return api.dapr->DeleteBulkState(&call, request, &empty).error_code();
  };
  REQUIRE(delete_bulk({"a"}) == grpc::StatusCode::OK);
  CHECK(api.recording->deletes == 1);
  CHECK(api.recording->bulk_deletes == 0);
  REQUIRE(delete_bulk({"a", "b"}) == grpc::StatusCode::OK);
  CHECK(api.recording->deletes == 1);
  CHECK(api.recording->bulk_deletes == 1);
}

TEST_CASE("GetMetadata reports extended.daprRuntimeVersion, as daprd does", "[api][metadata]") {
  MeteredApi api;
  api.context.runtime_version = "1.2.3-test";
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  rt::GetMetadataResponse response;
  REQUIRE(api.dapr->GetMetadata(&call, rt::GetMetadataRequest(), &response).ok());
  CHECK(response.runtime_version() == "1.2.3-test");
  REQUIRE(response.extended_metadata().count("daprRuntimeVersion") == 1);
  CHECK(response.extended_metadata().at("daprRuntimeVersion") == "1.2.3-test");
}

TEST_CASE("an unknown state store carries daprd's ErrorInfo for SDKs to read", "[api][errors]") {
  MeteredApi api;
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  rt::GetStateRequest request;
  request.set_store_name("nosuch");
  request.set_key("k");
  rt::GetStateResponse response;
  auto status = api.dapr->GetState(&call, request, &response);
  REQUIRE(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "state store nosuch is not found");
  google::rpc::Status rich;
  REQUIRE(rich.ParseFromString(status.error_details()));
  CHECK(rich.code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(rich.message() == status.error_message());
  REQUIRE(rich.details_size() == 1);
  google::rpc::ErrorInfo info;
  REQUIRE(rich.details(0).UnpackTo(&info));
  CHECK(info.domain() == "dapr.io");
  CHECK(info.reason() == "DAPR_STATE_NOT_FOUND");
}

}  // namespace plughost
