// BindingDelivery through fakes: an input binding that hands events in by hand and records each
// ack, and an app served in-process on a real socket that answers when the test says so.
#include "host/app_callback/binding_delivery.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "host/components/bindings.h"
#include "test/app_callback/fake_app.h"

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
    return events.Hold(request->data(), request->name(), context, response);
  }
  void AnswerRest() { events.AnswerRest(); }
  void Answer(const std::string& id, const grpc::Status& status, const std::string& data = "") {
    events.Answer(
        id, [&data](rt::BindingEventResponse* response) { response->set_data(data); }, status);
  }

  testing::HeldCalls<rt::BindingEventResponse> events;
};

struct Fixture : testing::DeliveryFixture<BindingDelivery, FakeInputBinding, FakeApp> {
  Fixture() : DeliveryFixture(ComponentKind::kInputBinding, "fakebinding") {
    REQUIRE(testing::Eventually([&] { return component->reading(); }));
  }
};

TEST_CASE("binding delivery: the app's answer is the event's ack", "[binding_delivery]") {
  Fixture f;
  f.component->Push("e1");
  REQUIRE(f.app.events.WaitFor("e1"));
  CHECK(f.app.events.TagOf("e1") == "fakebinding");
  CHECK_FALSE(f.component->AckOf("e1").has_value());  // not before the app answers
  f.app.Answer("e1", grpc::Status::OK, "handled");
  REQUIRE(testing::Eventually([&] { return f.component->AckOf("e1").has_value(); }));
  CHECK(f.component->AckOf("e1")->status.ok());
  CHECK(f.component->AckOf("e1")->data == "handled");

  // An app error goes back as the ack's error, with the app's code.
  f.component->Push("e2");
  REQUIRE(f.app.events.WaitFor("e2"));
  f.app.Answer("e2", grpc::Status(grpc::StatusCode::INTERNAL, "boom"));
  REQUIRE(testing::Eventually([&] { return f.component->AckOf("e2").has_value(); }));
  CHECK(f.component->AckOf("e2")->status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(f.component->AckOf("e2")->status.error_message().find("boom") != std::string::npos);
}

TEST_CASE("binding delivery: Stop waits for the event at the app, then refuses new ones",
          "[binding_delivery]") {
  Fixture f;
  f.component->Push("e1");
  REQUIRE(f.app.events.WaitFor("e1"));

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    f.delivery->Stop(std::chrono::seconds(30));
    stopped = true;
  });
  std::this_thread::sleep_for(milliseconds(200));
  CHECK_FALSE(stopped);  // e1 is still at the app: Stop is draining
  // Stop has closed the gate: a new event is refused at once, never sent to the app.
  f.component->Push("e2");
  REQUIRE(f.component->AckOf("e2").has_value());
  CHECK(f.component->AckOf("e2")->status.error_code() == grpc::StatusCode::UNAVAILABLE);
  f.app.Answer("e1", grpc::Status::OK, "done");
  stopper.join();

  // e1's ack reached the component before Stop returned.
  REQUIRE(f.component->AckOf("e1").has_value());
  CHECK(f.component->AckOf("e1")->status.ok());
  CHECK(f.component->AckOf("e1")->data == "done");
  CHECK(f.component->closed());
  CHECK(f.app.events.count() == 1);
}

}  // namespace
}  // namespace plughost
