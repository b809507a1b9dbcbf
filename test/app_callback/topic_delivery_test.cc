// TopicDelivery through fakes: a pubsub that hands messages in by hand and records each ack,
// and an app served in-process on a real socket that answers when the test says so. Covers the
// outcome of an answer, the pause-and-drain of Stop (its Gate), and cancelling what the drain
// did not finish.
#include "host/app_callback/topic_delivery.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host/components/pubsub.h"
#include "test/app_callback/fake_app.h"

namespace plughost {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using std::chrono::milliseconds;

// Hands messages to the subscriber when the test calls Push; remembers every ack.
class FakePubSub : public PubSub {
 public:
  void Init(const InitSpec& /*spec*/, StatusCallback done) override { done(grpc::Status::OK); }
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }
  void Publish(pubsubpb::PublishRequest /*request*/, const CallOptions& /*options*/,
               StatusCallback done) override {
    done(grpc::Status::OK);
  }
  void BulkPublish(pubsubpb::BulkPublishRequest /*request*/, const CallOptions& /*options*/,
                   Callback<pubsubpb::BulkPublishResponse> done) override {
    done(grpc::Status::OK, {});
  }
  std::unique_ptr<Subscription> Subscribe(pubsubpb::Topic topic, MessageHandler handler) override {
    std::lock_guard lock(mutex_);
    topic_ = topic.name();
    handler_ = std::move(handler);
    return std::make_unique<Closer>(this);
  }

  bool subscribed() {
    std::lock_guard lock(mutex_);
    return handler_ != nullptr;
  }
  bool closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  // Delivers one message, as a component's stream would, on the calling thread; its data is
  // its id.
  void Push(const std::string& id) {
    MessageHandler handler;
    {
      std::lock_guard lock(mutex_);
      handler = handler_;
    }
    pubsubpb::PullMessagesResponse message;
    message.set_id(id);
    message.set_topic_name(topic_);
    message.set_data(id);
    message.set_content_type("text/plain");
    handler(std::move(message), [this, id](const grpc::Status& status) {
      std::lock_guard lock(mutex_);
      acks_.emplace_back(id, status);
    });
  }
  // The ack of message `id`, once given.
  std::optional<grpc::Status> AckOf(const std::string& id) {
    std::lock_guard lock(mutex_);
    for (const auto& [acked, status] : acks_) {
      if (acked == id) return status;
    }
    return std::nullopt;
  }

 private:
  struct Closer : Subscription {
    explicit Closer(FakePubSub* owner) : owner(owner) {}
    void Close() override {
      std::lock_guard lock(owner->mutex_);
      owner->closed_ = true;
    }
    FakePubSub* owner;
  };

  std::mutex mutex_;
  std::string topic_;
  MessageHandler handler_;
  bool closed_ = false;
  std::vector<std::pair<std::string, grpc::Status>> acks_;
};

// The app: lists topic "orders" of pubsub "fake"; each event waits until the test answers it.
// The message id travels as the data: the CloudEvent id of plain text is a fresh UUID.
class FakeApp final : public rt::AppCallback::CallbackService {
 public:
  grpc::ServerUnaryReactor* ListTopicSubscriptions(
      grpc::CallbackServerContext* context, const google::protobuf::Empty* /*request*/,
      rt::ListTopicSubscriptionsResponse* response) override {
    auto* subscription = response->add_subscriptions();
    subscription->set_pubsub_name("fake");
    subscription->set_topic("orders");
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* OnTopicEvent(grpc::CallbackServerContext* context,
                                         const rt::TopicEventRequest* request,
                                         rt::TopicEventResponse* response) override {
    return events.Hold(request->data(), request->topic(), context, response);
  }
  void AnswerRest() { events.AnswerRest(); }
  void Answer(const std::string& id, rt::TopicEventResponse::TopicEventResponseStatus status) {
    events.Answer(id, [status](rt::TopicEventResponse* response) { response->set_status(status); });
  }

  testing::HeldCalls<rt::TopicEventResponse> events;
};

struct Fixture : testing::DeliveryFixture<TopicDelivery, FakePubSub, FakeApp> {
  Fixture() : DeliveryFixture(ComponentKind::kPubSub, "fake") {
    REQUIRE(testing::Eventually([&] { return component->subscribed(); }));
  }
};

TEST_CASE("topic delivery: the app's answer decides the ack", "[topic_delivery]") {
  Fixture f;
  f.component->Push("m1");
  REQUIRE(f.app.events.WaitFor("m1"));
  CHECK_FALSE(f.component->AckOf("m1").has_value());  // not before the app answers
  f.app.Answer("m1", rt::TopicEventResponse::SUCCESS);
  REQUIRE(testing::Eventually([&] { return f.component->AckOf("m1").has_value(); }));
  CHECK(f.component->AckOf("m1")->ok());

  // One at a time, in order: m3 waits for m2's answer. DROP is acked (no dead-letter topic).
  f.component->Push("m2");
  f.component->Push("m3");
  REQUIRE(f.app.events.WaitFor("m2"));
  CHECK(f.app.events.count() == 2);
  f.app.Answer("m2", rt::TopicEventResponse::DROP);
  REQUIRE(f.app.events.WaitFor("m3"));
  CHECK(f.component->AckOf("m2")->ok());
  f.app.Answer("m3", rt::TopicEventResponse::SUCCESS);
  REQUIRE(testing::Eventually([&] { return f.component->AckOf("m3").has_value(); }));
}

TEST_CASE("topic delivery: Stop drains the event at the app, holds the rest", "[topic_delivery]") {
  Fixture f;
  f.component->Push("m1");
  REQUIRE(f.app.events.WaitFor("m1"));

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    f.delivery->Stop(std::chrono::seconds(30));
    stopped = true;
  });
  // The pause is immediate, but the test cannot see it: a message pushed before it would be
  // queued behind m1, one pushed after it held. Either way it must not reach the app.
  std::this_thread::sleep_for(milliseconds(200));
  CHECK_FALSE(stopped);  // m1 is still at the app: Stop is draining
  f.component->Push("m2");
  f.app.Answer("m1", rt::TopicEventResponse::SUCCESS);
  stopper.join();

  // m1's answer was acked on the still-open stream, before the subscription closed.
  REQUIRE(f.component->AckOf("m1").has_value());
  CHECK(f.component->AckOf("m1")->ok());
  CHECK(f.component->closed());
  // m2 never went to the app; it was settled as unsent (the component keeps it).
  CHECK(f.app.events.count() == 1);
  REQUIRE(f.component->AckOf("m2").has_value());
  CHECK(f.component->AckOf("m2")->error_code() == grpc::StatusCode::UNAVAILABLE);
}

TEST_CASE("topic delivery: what the drain did not finish is cancelled and rejected",
          "[topic_delivery]") {
  Fixture f;
  f.component->Push("m1");
  REQUIRE(f.app.events.WaitFor("m1"));
  f.delivery->Stop(milliseconds(100));  // the app never answers m1
  // The call at the app was cancelled and the message rejected, not acked.
  CHECK(testing::Eventually([&] { return f.app.events.Cancelled("m1"); }));
  REQUIRE(f.component->AckOf("m1").has_value());
  CHECK_FALSE(f.component->AckOf("m1")->ok());
  CHECK(f.component->closed());
  // After Stop returned nothing reaches the app.
  f.component->Push("m2");
  CHECK(f.app.events.count() == 1);
  CHECK(f.component->AckOf("m2").has_value());
}

}  // namespace
}  // namespace plughost
