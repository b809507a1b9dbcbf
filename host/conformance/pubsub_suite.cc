// Conformance cases for pub/sub components (dapr.proto.components.v1.PubSub), driven through the
// host's GrpcPubSub: messages arrive on a PullMessages stream exactly as the host reads them.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "host/components/pubsub.h"
#include "host/conformance/await.h"
#include "host/conformance/suite.h"

namespace plughost::conformance {
namespace {

// Time for a new subscription's stream to reach the component before the first Publish, for
// brokers that only deliver to subscribers present when a message is published.
constexpr auto kStreamSettle = std::chrono::milliseconds(500);
constexpr auto kDeliveryWait = std::chrono::seconds(5);
// How long a rejected message may take to come back.
constexpr auto kRedeliveryWait = std::chrono::seconds(10);
// How long an acked message must stay away.
constexpr auto kQuietWait = std::chrono::seconds(1);

struct Delivery {
  pubsubpb::PullMessagesResponse message;
  StatusCallback ack;
};

// Deliveries as the handler receives them (on gRPC threads), taken by the kit's thread.
class Inbox {
 public:
  MessageHandler Handler(const std::shared_ptr<Inbox>& self) {
    return [self](pubsubpb::PullMessagesResponse message, StatusCallback ack) {
      std::lock_guard lock(self->mutex_);
      self->deliveries_.push_back({std::move(message), std::move(ack)});
      self->arrived_.notify_all();
    };
  }

  // The next delivery whose data is `data` (others are acked and dropped), within `wait`.
  std::optional<Delivery> Next(const std::string& data, std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    std::unique_lock lock(mutex_);
    while (true) {
      while (!deliveries_.empty()) {
        Delivery delivery = std::move(deliveries_.front());
        deliveries_.pop_front();
        if (delivery.message.data() == data) return delivery;
        delivery.ack(grpc::Status::OK);
      }
      if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout && deliveries_.empty()) {
        return std::nullopt;
      }
    }
  }

  // Acks whatever is still waiting, so the component forgets it.
  void AckRemaining() {
    std::deque<Delivery> remaining;
    {
      std::lock_guard lock(mutex_);
      remaining.swap(deliveries_);
    }
    for (auto& delivery : remaining) delivery.ack(grpc::Status::OK);
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Delivery> deliveries_;
};

class PubSubCases {
 public:
  PubSubCases(Suite& suite, PubSub& pubsub) : suite_(suite), pubsub_(pubsub) {}

  void RunAll() {
    suite_.Run("publish-subscribe", [&] { return PublishSubscribe(); });
    suite_.Run("nack-redelivers", [&] { return NackRedelivers(); });
    suite_.Run("ack-not-redelivered", [&] { return AckNotRedelivered(); });
    suite_.Run("bulk-publish", {kFeatureBulkPubSub}, [&] { return BulkPublish(); });
  }

 private:
  // A subscription on a topic nobody used before, open for the duration of one case.
  class FreshTopic {
   public:
    FreshTopic(Suite& suite, PubSub& pubsub, std::string_view name)
        : name_(suite.UniqueName(name)), inbox_(std::make_shared<Inbox>()) {
      pubsubpb::Topic topic;
      topic.set_name(name_);
      subscription_ = pubsub.Subscribe(std::move(topic), inbox_->Handler(inbox_));
      std::this_thread::sleep_for(kStreamSettle);
    }
    ~FreshTopic() {
      inbox_->AckRemaining();
      if (subscription_) subscription_->Close();
      inbox_->AckRemaining();
    }
    const std::string& name() const { return name_; }
    Inbox& inbox() { return *inbox_; }

   private:
    std::string name_;
    std::shared_ptr<Inbox> inbox_;
    std::unique_ptr<Subscription> subscription_;
  };

  grpc::Status Publish(const std::string& topic, const std::string& data) {
    pubsubpb::PublishRequest request;
    request.set_pubsub_name(suite_.UniqueName("a"));
    request.set_topic(topic);
    request.set_data(data);
    request.set_content_type("text/plain");
    return AwaitStatus([&](StatusCallback done) {
      pubsub_.Publish(std::move(request), KitCallOptions(), std::move(done));
    });
  }

  // Publishes `data` on a fresh topic and waits for its first delivery.
  CaseResult PublishAndReceive(FreshTopic& topic, const std::string& data,
                               std::optional<Delivery>* delivery) {
    if (auto status = Publish(topic.name(), data); !status.ok()) {
      return Fail("Publish should answer OK, got " + Describe(status));
    }
    *delivery = topic.inbox().Next(data, kDeliveryWait);
    if (!*delivery) {
      return Fail(
          fmt::format("the message published on {} was not delivered on its PullMessages "
                      "stream within {} s",
                      topic.name(), kDeliveryWait.count()));
    }
    return Pass();
  }

  CaseResult PublishSubscribe() {
    FreshTopic topic(suite_, pubsub_, "topic-deliver");
    std::optional<Delivery> delivery;
    if (auto result = PublishAndReceive(topic, "hello " + topic.name(), &delivery);
        result.outcome != CaseResult::Outcome::kPass) {
      return result;
    }
    delivery->ack(grpc::Status::OK);
    if (delivery->message.id().empty()) return Fail("the delivered message has no id to ack");
    return Pass();
  }

  CaseResult NackRedelivers() {
    FreshTopic topic(suite_, pubsub_, "topic-nack");
    std::string data = "nack " + topic.name();
    std::optional<Delivery> delivery;
    if (auto result = PublishAndReceive(topic, data, &delivery);
        result.outcome != CaseResult::Outcome::kPass) {
      return result;
    }
    delivery->ack(grpc::Status(grpc::StatusCode::INTERNAL, "conformance: rejected on purpose"));
    auto again = topic.inbox().Next(data, kRedeliveryWait);
    if (!again) {
      return Fail(
          fmt::format("a message acked with ack_error was not delivered again within {} s "
                      "(docs/protocol.md §4.2)",
                      kRedeliveryWait.count()));
    }
    again->ack(grpc::Status::OK);
    return Pass();
  }

  CaseResult AckNotRedelivered() {
    FreshTopic topic(suite_, pubsub_, "topic-ack");
    std::string data = "ack " + topic.name();
    std::optional<Delivery> delivery;
    if (auto result = PublishAndReceive(topic, data, &delivery);
        result.outcome != CaseResult::Outcome::kPass) {
      return result;
    }
    delivery->ack(grpc::Status::OK);
    if (auto again = topic.inbox().Next(data, kQuietWait)) {
      again->ack(grpc::Status::OK);
      return Fail(fmt::format("a message acked without error was delivered again within {} s",
                              kQuietWait.count()));
    }
    return Pass();
  }

  CaseResult BulkPublish() {
    FreshTopic topic(suite_, pubsub_, "topic-bulk");
    pubsubpb::BulkPublishRequest request;
    request.set_pubsub_name(suite_.UniqueName("a"));
    request.set_topic(topic.name());
    std::vector<std::string> datas;
    for (int i = 0; i < 2; ++i) {
      auto* entry = request.add_entries();
      entry->set_entry_id(std::to_string(i));
      datas.push_back(fmt::format("bulk {} {}", i, topic.name()));
      entry->set_event(datas.back());
      entry->set_content_type("text/plain");
    }
    auto reply =
        Await<pubsubpb::BulkPublishResponse>([&](Callback<pubsubpb::BulkPublishResponse> done) {
          pubsub_.BulkPublish(std::move(request), KitCallOptions(), std::move(done));
        });
    if (!reply.status.ok())
      return Fail("BulkPublish should answer OK, got " + Describe(reply.status));
    if (reply.value.failed_entries_size() > 0) {
      const auto& failed = reply.value.failed_entries(0);
      return Fail(fmt::format("BulkPublish reported entry {} failed: {}", failed.entry_id(),
                              failed.error()));
    }
    for (const auto& data : datas) {
      auto delivery = topic.inbox().Next(data, kDeliveryWait);
      if (!delivery) {
        return Fail(fmt::format("the bulk-published entry \"{}\" was not delivered within {} s",
                                data, kDeliveryWait.count()));
      }
      delivery->ack(grpc::Status::OK);
    }
    return Pass();
  }

  Suite& suite_;
  PubSub& pubsub_;
};

}  // namespace

void RunPubSubSuite(const SuiteContext& context) {
  Suite suite(context, "pubsub");
  auto pubsub = suite.InitCase<PubSub>("init", "a");
  if (!pubsub) return;
  suite.FeaturesCase();
  PubSubCases(suite, *pubsub).RunAll();
  suite.PingCase(*pubsub);
}

}  // namespace plughost::conformance
