#include "host/builtins/in_memory_pubsub.h"
#include "host/common/limit_hits.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace plughost {
namespace {

using namespace std::chrono_literals;

// Waits are generous and never asserted as timings: they only bound a broken broker.
constexpr auto kPatience = 10s;

InMemoryPubSub::Options Fast() {
  InMemoryPubSub::Options options;
  options.first_retry = 10ms;
  options.max_retry = 40ms;
  return options;
}

// Records what a subscription receives, thread-safely, and decides how to answer each.
class Inbox {
 public:
  // `answer(payload, delivery number of that payload)` returns the ack status.
  using Answer = std::function<grpc::Status(const std::string& data, int attempt)>;

  explicit Inbox(Answer answer = nullptr) : answer_(std::move(answer)) {}

  MessageHandler Handler() {
    return [this](pubsubpb::PullMessagesResponse message, StatusCallback ack) {
      int attempt;
      {
        std::lock_guard lock(mutex_);
        received_.push_back(message.data());
        attempt = ++attempts_[message.data()];
        topics_.push_back(message.topic_name());
      }
      grpc::Status status = answer_ ? answer_(message.data(), attempt) : grpc::Status::OK;
      ack(status);
      cv_.notify_all();
    };
  }

  bool WaitFor(size_t count) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kPatience, [&] { return received_.size() >= count; });
  }

  std::vector<std::string> Received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::vector<std::string> Topics() {
    std::lock_guard lock(mutex_);
    return topics_;
  }
  int Attempts(const std::string& data) {
    std::lock_guard lock(mutex_);
    return attempts_[data];
  }

 private:
  Answer answer_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> received_;
  std::vector<std::string> topics_;
  std::map<std::string, int> attempts_;
};

pubsubpb::Topic Topic(const std::string& name) {
  pubsubpb::Topic topic;
  topic.set_name(name);
  return topic;
}

void Publish(InMemoryPubSub& pubsub, const std::string& topic, const std::string& data) {
  pubsubpb::PublishRequest request;
  request.set_topic(topic);
  request.set_data(data);
  request.set_content_type("text/plain");
  bool done = false;
  pubsub.Publish(request, CallOptions{}, [&](grpc::Status status) {
    CHECK(status.ok());
    done = true;
  });
  REQUIRE(done);
}

}  // namespace

TEST_CASE("in-memory pubsub delivers to subscribers of the topic, from when they subscribed",
          "[pubsub]") {
  InMemoryPubSub pubsub(Fast());
  Publish(pubsub, "orders", "before anyone listened");

  Inbox first, second, other;
  auto a = pubsub.Subscribe(Topic("orders"), first.Handler());
  auto b = pubsub.Subscribe(Topic("orders"), second.Handler());
  auto c = pubsub.Subscribe(Topic("invoices"), other.Handler());

  Publish(pubsub, "orders", "one");
  Publish(pubsub, "orders", "two");
  REQUIRE(first.WaitFor(2));
  REQUIRE(second.WaitFor(2));
  // Both subscriptions get every message, in publish order, with the topic named.
  CHECK(first.Received() == std::vector<std::string>{"one", "two"});
  CHECK(second.Received() == std::vector<std::string>{"one", "two"});
  CHECK(first.Topics() == std::vector<std::string>{"orders", "orders"});

  Publish(pubsub, "invoices", "three");
  REQUIRE(other.WaitFor(1));
  CHECK(other.Received() == std::vector<std::string>{"three"});
  CHECK(first.Received().size() == 2);
}

TEST_CASE("in-memory pubsub redelivers a rejected message until it is acked", "[pubsub]") {
  InMemoryPubSub pubsub(Fast());
  // "flaky" is rejected twice, then accepted; "fine" is accepted at once.
  Inbox inbox([](const std::string& data, int attempt) {
    if (data == "flaky" && attempt < 3) {
      return grpc::Status(grpc::StatusCode::ABORTED, "try again");
    }
    return grpc::Status::OK;
  });
  auto subscription = pubsub.Subscribe(Topic("t"), inbox.Handler());
  Publish(pubsub, "t", "flaky");
  Publish(pubsub, "t", "fine");
  REQUIRE(inbox.WaitFor(4));
  CHECK(inbox.Attempts("flaky") == 3);
  CHECK(inbox.Attempts("fine") == 1);
  // Once acked it is not delivered again: give a redelivery plenty of time to show up.
  std::this_thread::sleep_for(300ms);
  CHECK(inbox.Attempts("flaky") == 3);
  CHECK(inbox.Received().size() == 4);
}

TEST_CASE("in-memory pubsub stops delivering once a subscription is closed", "[pubsub]") {
  InMemoryPubSub pubsub(Fast());
  Inbox kept, closed;
  auto keep = pubsub.Subscribe(Topic("t"), kept.Handler());
  auto close = pubsub.Subscribe(Topic("t"), closed.Handler());
  Publish(pubsub, "t", "1");
  REQUIRE(closed.WaitFor(1));
  close->Close();
  Publish(pubsub, "t", "2");
  REQUIRE(kept.WaitFor(2));
  CHECK(closed.Received() == std::vector<std::string>{"1"});
  close.reset();  // destroying a closed handle is fine
}

TEST_CASE("in-memory pubsub drops a closed subscription's pending redeliveries", "[pubsub]") {
  InMemoryPubSub pubsub(Fast());
  Inbox inbox(
      [](const std::string&, int) { return grpc::Status(grpc::StatusCode::ABORTED, "never"); });
  auto subscription = pubsub.Subscribe(Topic("t"), inbox.Handler());
  Publish(pubsub, "t", "x");
  REQUIRE(inbox.WaitFor(2));  // rejected and redelivered at least once
  subscription->Close();
  auto seen = inbox.Received().size();
  std::this_thread::sleep_for(300ms);
  CHECK(inbox.Received().size() == seen);
}

TEST_CASE("in-memory pubsub handlers run without locks held", "[pubsub]") {
  InMemoryPubSub pubsub(Fast());
  Inbox downstream;
  auto sink = pubsub.Subscribe(Topic("out"), downstream.Handler());
  std::unique_ptr<Subscription> self;
  std::mutex self_mutex;
  // A handler that publishes, and one that closes its own subscription: neither deadlocks.
  auto relay = pubsub.Subscribe(Topic("in"),
                                [&](pubsubpb::PullMessagesResponse message, StatusCallback ack) {
                                  Publish(pubsub, "out", "relayed " + message.data());
                                  ack(grpc::Status::OK);
                                });
  Inbox closing_inbox;
  auto closing_handler = closing_inbox.Handler();
  {
    std::lock_guard lock(self_mutex);
    self = pubsub.Subscribe(
        Topic("in"), [&, closing_handler](pubsubpb::PullMessagesResponse m, StatusCallback ack) {
          closing_handler(m, std::move(ack));
          std::lock_guard lock(self_mutex);
          self->Close();
        });
  }
  Publish(pubsub, "in", "a");
  Publish(pubsub, "in", "b");
  REQUIRE(downstream.WaitFor(2));
  CHECK(downstream.Received() == std::vector<std::string>{"relayed a", "relayed b"});
  CHECK(closing_inbox.Received() == std::vector<std::string>{"a"});
}

TEST_CASE("in-memory pubsub acks may arrive after the handler returned, from any thread",
          "[pubsub]") {
  InMemoryPubSub pubsub(Fast());
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<StatusCallback> acks;
  int deliveries = 0;
  auto subscription =
      pubsub.Subscribe(Topic("t"), [&](pubsubpb::PullMessagesResponse, StatusCallback ack) {
        std::lock_guard lock(mutex);
        acks.push_back(std::move(ack));
        ++deliveries;
        cv.notify_all();
      });
  Publish(pubsub, "t", "late");
  StatusCallback first;
  {
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, kPatience, [&] { return deliveries == 1; }));
    first = std::move(acks.back());
  }
  std::thread([&] { first(grpc::Status(grpc::StatusCode::UNAVAILABLE, "later")); }).join();
  std::unique_lock lock(mutex);
  REQUIRE(cv.wait_for(lock, kPatience, [&] { return deliveries == 2; }));
  acks.back()(grpc::Status::OK);
}

TEST_CASE("in-memory pubsub shuts down with redeliveries pending and handles outliving it",
          "[pubsub]") {
  std::unique_ptr<Subscription> survivor;
  Inbox inbox(
      [](const std::string&, int) { return grpc::Status(grpc::StatusCode::ABORTED, "never"); });
  {
    InMemoryPubSub pubsub(Fast());
    survivor = pubsub.Subscribe(Topic("t"), inbox.Handler());
    Publish(pubsub, "t", "x");
    REQUIRE(inbox.WaitFor(1));
  }
  survivor->Close();
  survivor.reset();
}

TEST_CASE("in-memory pubsub bulk publish delivers every entry with merged metadata", "[pubsub]") {
  InMemoryPubSub pubsub(Fast());
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<pubsubpb::PullMessagesResponse> got;
  auto subscription =
      pubsub.Subscribe(Topic("t"), [&](pubsubpb::PullMessagesResponse message, StatusCallback ack) {
        ack(grpc::Status::OK);
        std::lock_guard lock(mutex);
        got.push_back(std::move(message));
        cv.notify_all();
      });
  pubsubpb::BulkPublishRequest request;
  request.set_topic("t");
  (*request.mutable_metadata())["shared"] = "request";
  (*request.mutable_metadata())["which"] = "request";
  for (std::string id : {"e1", "e2"}) {
    auto* entry = request.add_entries();
    entry->set_entry_id(id);
    entry->set_event("event " + id);
    entry->set_content_type("text/plain");
    (*entry->mutable_metadata())["which"] = id;
  }
  pubsub.BulkPublish(request, CallOptions{},
                     [](grpc::Status status, pubsubpb::BulkPublishResponse response) {
                       CHECK(status.ok());
                       CHECK(response.failed_entries().empty());
                     });
  std::unique_lock lock(mutex);
  REQUIRE(cv.wait_for(lock, kPatience, [&] { return got.size() == 2; }));
  CHECK(got[0].data() == "event e1");
  CHECK(got[0].metadata().at("shared") == "request");
  CHECK(got[0].metadata().at("which") == "e1");
  CHECK(got[1].metadata().at("which") == "e2");
  CHECK(got[0].id() != got[1].id());
}

}  // namespace plughost

namespace plughost {

TEST_CASE("in-memory pubsub bounds what a subscriber holds and pushes back on the publisher",
          "[pubsub]") {
  auto options = Fast();
  options.max_in_flight = 2;
  options.max_unacked = 5;
  InMemoryPubSub pubsub(options);
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::pair<std::string, StatusCallback>> held;  // answered only when the test says
  auto subscription =
      pubsub.Subscribe(Topic("t"), [&](pubsubpb::PullMessagesResponse message, StatusCallback ack) {
        std::lock_guard lock(mutex);
        held.emplace_back(message.data(), std::move(ack));
        cv.notify_all();
      });
  auto publish = [&](const std::string& data) {
    pubsubpb::PublishRequest request;
    request.set_topic("t");
    request.set_data(data);
    std::optional<grpc::Status> result;
    pubsub.Publish(request, CallOptions{}, [&](grpc::Status status) { result = status; });
    REQUIRE(result.has_value());
    return *result;
  };
  auto hits_before = limit_hits::Hits(limit_hits::Limit::kPubsubQueueFull);
  for (int i = 0; i < 5; ++i) REQUIRE(publish("m" + std::to_string(i)).ok());
  // The sixth would pass the bound on unacked messages: refused, nothing dropped.
  auto refused = publish("m5");
  CHECK(refused.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(limit_hits::Hits(limit_hits::Limit::kPubsubQueueFull) == hits_before + 1);

  std::unique_lock lock(mutex);
  REQUIRE(cv.wait_for(lock, kPatience, [&] { return held.size() == 2; }));
  // Only two are handed over while none is answered (a short wait finds no third).
  CHECK_FALSE(cv.wait_for(lock, 100ms, [&] { return held.size() > 2; }));
  CHECK(held[0].first == "m0");
  CHECK(held[1].first == "m1");
  // A nack frees a slot: the next message in order comes, and m0 again later (at least once).
  auto nack = std::move(held[0].second);
  auto ack = std::move(held[1].second);
  lock.unlock();
  nack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "not now"));
  ack(grpc::Status::OK);
  lock.lock();
  REQUIRE(cv.wait_for(lock, kPatience, [&] { return held.size() == 4; }));
  CHECK(held[2].first == "m2");
  CHECK(held[3].first == "m3");
  lock.unlock();
  // One acked (m1): room for one more publish, not two.
  CHECK(publish("m5").ok());
  CHECK(publish("m6").error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Answer everything as it comes: all of m0, m2..m5 arrive and are acked.
  std::set<std::string> acked{"m1"};
  lock.lock();
  size_t answered = 2;
  while (acked.size() < 6) {
    REQUIRE(cv.wait_for(lock, kPatience, [&] { return held.size() > answered; }));
    auto [data, callback] = std::move(held[answered++]);
    lock.unlock();
    callback(grpc::Status::OK);
    acked.insert(data);
    lock.lock();
  }
  CHECK(acked == std::set<std::string>{"m0", "m1", "m2", "m3", "m4", "m5"});
}

}  // namespace plughost
