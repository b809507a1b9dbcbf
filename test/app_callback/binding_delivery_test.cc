// BindingDelivery through fakes: an input binding that hands events in by hand and records each
// ack, and an app served in-process on a real socket that answers when the test says so.
#include "host/app_callback/binding_delivery.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "host/components/bindings.h"
#include "support/process.h"

namespace plughost {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using std::chrono::milliseconds;

// Hands events to the reader when the test calls Push; remembers every ack.
class FakeInputBinding : public InputBinding {
 public:
  struct Ack {
    grpc::Status status;
    std::string data;
  };

  void Init(const InitSpec& /*spec*/, StatusCallback done) override { done(grpc::Status::OK); }
  std::vector<std::string> Features() const override { return {kFeatureInputBinding}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }
  std::unique_ptr<Subscription> Read(BindingEventHandler handler) override {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
    return std::make_unique<Closer>(this);
  }

  bool reading() {
    std::lock_guard lock(mutex_);
    return handler_ != nullptr && !closed_;
  }
  bool closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  // Delivers one event on the calling thread; its data is its id.
  void Push(const std::string& id) {
    BindingEventHandler handler;
    {
      std::lock_guard lock(mutex_);
      handler = handler_;
    }
    bindingspb::ReadResponse event;
    event.set_message_id(id);
    event.set_data(id);
    handler(std::move(event), [this, id](grpc::Status status, std::string data) {
      std::lock_guard lock(mutex_);
      acks_.emplace_back(id, Ack{std::move(status), std::move(data)});
    });
  }
  std::optional<Ack> AckOf(const std::string& id) {
    std::lock_guard lock(mutex_);
    for (const auto& [acked, ack] : acks_) {
      if (acked == id) return ack;
    }
    return std::nullopt;
  }

 private:
  struct Closer : Subscription {
    explicit Closer(FakeInputBinding* owner) : owner(owner) {}
    void Close() override {
      std::lock_guard lock(owner->mutex_);
      owner->closed_ = true;
    }
    FakeInputBinding* owner;
  };

  std::mutex mutex_;
  BindingEventHandler handler_;
  bool closed_ = false;
  std::vector<std::pair<std::string, Ack>> acks_;
};

// The app: lists binding "fakebinding"; each event waits until the test answers it.
class FakeApp final : public rt::AppCallback::CallbackService {
 public:
  grpc::ServerUnaryReactor* ListInputBindings(grpc::CallbackServerContext* context,
                                              const google::protobuf::Empty* /*request*/,
                                              rt::ListInputBindingsResponse* response) override {
    response->add_bindings("fakebinding");
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* OnBindingEvent(grpc::CallbackServerContext* context,
                                           const rt::BindingEventRequest* request,
                                           rt::BindingEventResponse* response) override {
    auto* reactor = context->DefaultReactor();
    std::lock_guard lock(mutex_);
    events_.push_back(Event{request->data(), request->name(), response, reactor});
    changed_.notify_all();
    return reactor;
  }

  bool WaitForEvent(const std::string& id) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return Find(id) != nullptr; });
  }
  size_t events() {
    std::lock_guard lock(mutex_);
    return events_.size();
  }
  std::string BindingOf(const std::string& id) {
    std::lock_guard lock(mutex_);
    return Find(id) != nullptr ? Find(id)->binding : "";
  }
  void Answer(const std::string& id, const grpc::Status& status, const std::string& data = "") {
    std::lock_guard lock(mutex_);
    Event* event = Find(id);
    REQUIRE(event != nullptr);
    REQUIRE(event->reactor != nullptr);
    event->response->set_data(data);
    std::exchange(event->reactor, nullptr)->Finish(status);
  }
  void AnswerRest() {
    std::lock_guard lock(mutex_);
    for (auto& event : events_) {
      if (event.reactor) std::exchange(event.reactor, nullptr)->Finish(grpc::Status::OK);
    }
  }

 private:
  struct Event {
    std::string id;
    std::string binding;
    rt::BindingEventResponse* response;
    grpc::ServerUnaryReactor* reactor;
  };
  Event* Find(const std::string& id) {
    for (auto& event : events_) {
      if (event.id == id) return &event;
    }
    return nullptr;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Event> events_;
};

struct Fixture {
  Fixture() {
    binding = std::make_shared<FakeInputBinding>();
    InstanceInfo info;
    info.name = "fakebinding";
    info.type = "bindings.fake";
    info.kind = ComponentKind::kInputBinding;
    info.source = "built-in";
    info.component = binding;
    REQUIRE(instances.Add(std::move(info)).ok());

    std::string address = "unix:" + dir.File("app.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials());
    builder.RegisterService(&app);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);

    context.instances = &instances;
    context.subscriptions = &subscriptions;
    context.inbound_breakers = &breakers;
    context.app_channel = std::make_shared<AppChannel>(address, "");
    delivery = std::make_unique<BindingDelivery>(&context);
    delivery->Start();
    REQUIRE(testing::Eventually([&] { return binding->reading(); }));
  }
  ~Fixture() {
    delivery.reset();
    app.AnswerRest();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  testing::TempDir dir;
  std::shared_ptr<FakeInputBinding> binding;
  InstanceTable instances;
  FakeApp app;
  std::unique_ptr<grpc::Server> server;
  ActiveSubscriptions subscriptions;
  delivery::InboundBreakers breakers;
  DeliveryContext context;
  std::unique_ptr<BindingDelivery> delivery;
};

TEST_CASE("binding delivery: the app's answer is the event's ack", "[binding_delivery]") {
  Fixture f;
  f.binding->Push("e1");
  REQUIRE(f.app.WaitForEvent("e1"));
  CHECK(f.app.BindingOf("e1") == "fakebinding");
  CHECK_FALSE(f.binding->AckOf("e1").has_value());  // not before the app answers
  f.app.Answer("e1", grpc::Status::OK, "handled");
  REQUIRE(testing::Eventually([&] { return f.binding->AckOf("e1").has_value(); }));
  CHECK(f.binding->AckOf("e1")->status.ok());
  CHECK(f.binding->AckOf("e1")->data == "handled");

  // An app error goes back as the ack's error, with the app's code.
  f.binding->Push("e2");
  REQUIRE(f.app.WaitForEvent("e2"));
  f.app.Answer("e2", grpc::Status(grpc::StatusCode::INTERNAL, "boom"));
  REQUIRE(testing::Eventually([&] { return f.binding->AckOf("e2").has_value(); }));
  CHECK(f.binding->AckOf("e2")->status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(f.binding->AckOf("e2")->status.error_message().find("boom") != std::string::npos);
}

TEST_CASE("binding delivery: Stop waits for the event at the app, then refuses new ones",
          "[binding_delivery]") {
  Fixture f;
  f.binding->Push("e1");
  REQUIRE(f.app.WaitForEvent("e1"));

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    f.delivery->Stop(std::chrono::seconds(30));
    stopped = true;
  });
  std::this_thread::sleep_for(milliseconds(200));
  CHECK_FALSE(stopped);  // e1 is still at the app: Stop is draining
  // Stop has closed the gate: a new event is refused at once, never sent to the app.
  f.binding->Push("e2");
  REQUIRE(f.binding->AckOf("e2").has_value());
  CHECK(f.binding->AckOf("e2")->status.error_code() == grpc::StatusCode::UNAVAILABLE);
  f.app.Answer("e1", grpc::Status::OK, "done");
  stopper.join();

  // e1's ack reached the component before Stop returned.
  REQUIRE(f.binding->AckOf("e1").has_value());
  CHECK(f.binding->AckOf("e1")->status.ok());
  CHECK(f.binding->AckOf("e1")->data == "done");
  CHECK(f.binding->closed());
  CHECK(f.app.events() == 1);
}

}  // namespace
}  // namespace plughost
