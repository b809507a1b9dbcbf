// libFuzzer target: the app-facing API (host/api) as an app reaches it. The first input byte
// picks a method of dapr.proto.runtime.v1.Dapr or spec.proto.runtime.v1.Runtime; the rest is
// sent, as is, as that method's serialized request over a real gRPC call (on a Unix socket in a
// scratch folder; gRPC's in-process channel answers ~30 times slower here) to the real DaprApi
// and LayottoApi, backed by the built-in components of the embedded defaults plus a second
// state store and a local storage binding in the scratch folder. Whatever the bytes, every call
// must end (a call still open at its deadline is a hang, reported as a crash), and nothing may
// crash, leak or trip a sanitizer.
#include <grpcpp/generic/generic_stub.h>
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "host/api/dapr_api.h"
#include "host/api/layotto_api.h"
#include "host/state/state_keys.h"
#include "host/builtins/builtins.h"
#include "host/common/log.h"
#include "host/config/host_config.h"
#include "host/registry/factory_registry.h"

namespace plughost {
namespace {

using namespace std::chrono_literals;

// Far beyond what any built-in needs: a call open this long is a handler that never answered.
constexpr auto kHangDeadline = 20s;

struct Method {
  std::string_view path;
  bool streams;  // the server may keep answering
};

constexpr std::array kMethods = {
    Method{"/dapr.proto.runtime.v1.Dapr/GetState", false},
    Method{"/dapr.proto.runtime.v1.Dapr/GetBulkState", false},
    Method{"/dapr.proto.runtime.v1.Dapr/SaveState", false},
    Method{"/dapr.proto.runtime.v1.Dapr/QueryStateAlpha1", false},
    Method{"/dapr.proto.runtime.v1.Dapr/DeleteState", false},
    Method{"/dapr.proto.runtime.v1.Dapr/DeleteBulkState", false},
    Method{"/dapr.proto.runtime.v1.Dapr/ExecuteStateTransaction", false},
    Method{"/dapr.proto.runtime.v1.Dapr/PublishEvent", false},
    Method{"/dapr.proto.runtime.v1.Dapr/BulkPublishEventAlpha1", false},
    Method{"/dapr.proto.runtime.v1.Dapr/BulkPublishEvent", false},
    Method{"/dapr.proto.runtime.v1.Dapr/SubscribeTopicEventsAlpha1", true},
    Method{"/dapr.proto.runtime.v1.Dapr/InvokeBinding", false},
    Method{"/dapr.proto.runtime.v1.Dapr/GetSecret", false},
    Method{"/dapr.proto.runtime.v1.Dapr/GetBulkSecret", false},
    Method{"/dapr.proto.runtime.v1.Dapr/GetConfiguration", false},
    Method{"/dapr.proto.runtime.v1.Dapr/SubscribeConfiguration", true},
    Method{"/dapr.proto.runtime.v1.Dapr/UnsubscribeConfiguration", false},
    Method{"/dapr.proto.runtime.v1.Dapr/TryLockAlpha1", false},
    Method{"/dapr.proto.runtime.v1.Dapr/UnlockAlpha1", false},
    Method{"/dapr.proto.runtime.v1.Dapr/GetMetadata", false},
    Method{"/dapr.proto.runtime.v1.Dapr/SetMetadata", false},
    Method{"/dapr.proto.runtime.v1.Dapr/Shutdown", false},
    Method{"/spec.proto.runtime.v1.Runtime/SayHello", false},
    Method{"/spec.proto.runtime.v1.Runtime/GetNextId", false},
    Method{"/spec.proto.runtime.v1.Runtime/TryLock", false},
    Method{"/spec.proto.runtime.v1.Runtime/Unlock", false},
    Method{"/spec.proto.runtime.v1.Runtime/GetConfiguration", false},
};

// One call of any shape, as raw bytes: the request is written once and the client half-closes,
// which is what a unary or server-streaming client does on the wire too. Deletes itself when
// done, after handing over the final status.
class RawCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawCall(grpc::GenericStub& stub, const Method& method, std::string_view payload)
      : method_(method) {
    grpc::Slice slice(payload.data(), payload.size());
    request_ = grpc::ByteBuffer(&slice, 1);
    context_.set_deadline(std::chrono::system_clock::now() + kHangDeadline);
    stub.PrepareBidiStreamingCall(&context_, std::string(method.path), grpc::StubOptions(), this);
  }

  std::future<grpc::Status> Run() {
    auto result = done_.get_future();
    StartWrite(&request_);
    StartRead(&response_);
    StartCall();
    return result;
  }

  void OnWriteDone(bool ok) override {
    if (ok) StartWritesDone();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    // A subscription stays open after its first answer until the app leaves (a half-close
    // does not end it): leave, as an app would.
    if (method_.streams) {
      context_.TryCancel();
      return;
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    grpc::Status result = status;
    auto done = std::move(done_);
    delete this;  // OnDone is the last reaction
    done.set_value(std::move(result));
  }

 private:
  const Method& method_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::promise<grpc::Status> done_;
};

// An app subscribed to "orders" on "pubsub" for the process's life, so that whatever a fuzzed
// publish gets accepted is also delivered and decoded (cloud_events::ToTopicEvent), as it is for
// a real app. It acks every event; writes go out one at a time.
class DeliverySink : public grpc::ClientBidiReactor<runtimepb::SubscribeTopicEventsRequestAlpha1,
                                                    runtimepb::SubscribeTopicEventsResponseAlpha1> {
 public:
  explicit DeliverySink(runtimepb::Dapr::Stub& dapr) {
    dapr.async()->SubscribeTopicEventsAlpha1(&context_, this);
    runtimepb::SubscribeTopicEventsRequestAlpha1 initial;
    initial.mutable_initial_request()->set_pubsub_name("pubsub");
    initial.mutable_initial_request()->set_topic("orders");
    Send(std::move(initial));
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended: nothing more to ack
    if (response_.has_event_message()) {
      runtimepb::SubscribeTopicEventsRequestAlpha1 processed;
      processed.mutable_event_processed()->set_id(response_.event_message().id());
      processed.mutable_event_processed()->mutable_status()->set_status(
          runtimepb::TopicEventResponse::SUCCESS);
      Send(std::move(processed));
    }
    StartRead(&response_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mutex_);
    outbox_.pop_front();
    if (ok && !outbox_.empty()) StartWrite(&outbox_.front());
  }

  void OnDone(const grpc::Status&) override {}

 private:
  void Send(runtimepb::SubscribeTopicEventsRequestAlpha1 message) {
    std::lock_guard lock(mutex_);
    outbox_.push_back(std::move(message));
    if (outbox_.size() == 1) StartWrite(&outbox_.front());
  }

  grpc::ClientContext context_;
  runtimepb::SubscribeTopicEventsResponseAlpha1 response_;
  std::mutex mutex_;
  std::deque<runtimepb::SubscribeTopicEventsRequestAlpha1> outbox_;  // front: being written
};

// The API server, its components and a client channel, built once per fuzzing process.
class Harness {
 public:
  Harness() {
    // A line per bad request would drown the fuzzer's output (and slow it down).
    log::SetLevel(log::Level::kError);
    google::protobuf::SetLogHandler(
        [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    char scratch[] = "/tmp/plughost-fuzz-XXXXXX";
    if (::mkdtemp(scratch) == nullptr) Fail("cannot create a scratch folder");
    scratch_ = scratch;
    // The harness lives until the process exits (gRPC's threads may still use it), so the
    // scratch folder goes at exit.
    static std::string* folder = new std::string(scratch_);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*folder, ignored);
    });

    FactoryRegistry::Builder builder;
    if (!RegisterBuiltins(builder).ok()) Fail("cannot register the built-ins");
    registry_ = std::make_unique<FactoryRegistry>(std::move(builder).Build());

    auto config = EmbeddedDefaults();
    config.app_id = "fuzzed-app";
    auto add = [&](std::string name, std::string type, std::string key, std::string value) {
      ComponentSpec spec;
      spec.name = std::move(name);
      spec.type = std::move(type);
      spec.version = "v1";
      spec.metadata = {{std::move(key), std::move(value)}};
      spec.field = "extra";
      config.components.push_back(std::move(spec));
    };
    add("files", "bindings.localstorage", "rootPath", scratch_);
    add("prefixed", "state.in-memory", "keyPrefix", "name");
    for (const auto& spec : config.components) AddInstance(spec, config.app_id);

    context_.instances = &instances_;
    context_.app_id = config.app_id;
    context_.runtime_version = "fuzz";
    context_.request_shutdown = [] {};
    dapr_ = std::make_unique<DaprApi>(&context_);
    layotto_ = std::make_unique<LayottoApi>(&context_);
    grpc::ServerBuilder server_builder;
    server_builder.SetMaxReceiveMessageSize(4 << 20);
    server_builder.RegisterService(dapr_.get());
    server_builder.RegisterService(layotto_.get());
    std::string address = "unix:" + scratch_ + "/api.sock";
    server_builder.AddListeningPort(address, grpc::InsecureServerCredentials());
    server_ = server_builder.BuildAndStart();
    if (!server_) Fail("cannot start the API server");
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    stub_ = std::make_unique<grpc::GenericStub>(channel);
    dapr_stub_ = runtimepb::Dapr::NewStub(channel);
    sink_ = std::make_unique<DeliverySink>(*dapr_stub_);
  }

  void Call(const Method& method, std::string_view payload) {
    auto status = (new RawCall(*stub_, method, payload))->Run().get();
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::fprintf(stderr, "%.*s never answered: %s\n", static_cast<int>(method.path.size()),
                   method.path.data(), status.error_message().c_str());
      std::abort();
    }
  }

 private:
  [[noreturn]] static void Fail(const char* what) {
    std::fprintf(stderr, "api_fuzzer: %s\n", what);
    std::abort();
  }

  void AddInstance(const ComponentSpec& spec, const std::string& app_id) {
    const auto factories = registry_->FindByType(spec.type);
    if (factories.size() != 1) Fail("a configured type has no single built-in");
    const auto& factory = *factories.front();
    InstanceInfo info;
    info.name = spec.name;
    info.type = spec.type;
    info.version = spec.version;
    info.kind = factory.kind();
    info.source = factory.source();
    info.metadata = spec.metadata;
    info.component = factory.Create(spec.name);
    info.init_spec = InitSpec{spec.name, spec.type, spec.metadata, 5s};
    if (info.kind == ComponentKind::kState || info.kind == ComponentKind::kLock ||
        info.kind == ComponentKind::kSequencer) {
      auto prefix = StateKeyPrefix(info.metadata, info.name, app_id);
      if (!prefix.ok()) Fail("bad keyPrefix");
      info.key_prefix = *prefix;
    }
    std::promise<grpc::Status> initialised;
    info.component->Init(info.init_spec,
                         [&initialised](grpc::Status status) { initialised.set_value(status); });
    if (!initialised.get_future().get().ok()) Fail("a built-in failed Init");
    if (!instances_.Add(std::move(info)).ok()) Fail("duplicate instance");
  }

  std::string scratch_;
  std::unique_ptr<FactoryRegistry> registry_;
  InstanceTable instances_;
  ApiContext context_;
  std::unique_ptr<DaprApi> dapr_;
  std::unique_ptr<LayottoApi> layotto_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::unique_ptr<runtimepb::Dapr::Stub> dapr_stub_;
  std::unique_ptr<DeliverySink> sink_;  // kept for the process, like the harness
};

}  // namespace
}  // namespace plughost

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Built on first use and kept for the process: gRPC's own globals live as long anyway.
  static auto* harness = new plughost::Harness();
  const auto& method = plughost::kMethods[data[0] % plughost::kMethods.size()];
  harness->Call(method, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  return 0;
}
