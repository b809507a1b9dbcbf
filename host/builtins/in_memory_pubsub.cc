#include "host/builtins/in_memory_pubsub.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <utility>

#include "common/backoff.h"
#include "host/common/limit_hits.h"
#include "host/common/log.h"

namespace plughost {
namespace {

using Clock = std::chrono::steady_clock;
using Message = std::shared_ptr<const pubsubpb::PullMessagesResponse>;

struct Subscriber;

// One attempt at handing one message to one subscriber.
struct Delivery {
  Clock::time_point due;
  uint64_t sequence;  // keeps deliveries due at the same instant in publish order
  std::shared_ptr<Subscriber> subscriber;
  Message message;
  int attempt;  // 1 for the first delivery
};

// One subscription. Everything but `topic` is guarded by the broker's mutex.
struct Subscriber {
  std::string topic;
  MessageHandler handler;
  bool closed = false;
  size_t in_flight = 0;         // handed to the handler, not yet answered
  size_t unacked = 0;           // accepted for this subscriber, not yet acked
  size_t unacked_bytes = 0;     // their payload bytes
  std::deque<Delivery> parked;  // due, but in_flight was at its bound
};

struct DueLater {
  bool operator()(const Delivery& a, const Delivery& b) const {
    return a.due != b.due ? a.due > b.due : a.sequence > b.sequence;
  }
};

}  // namespace

class InMemoryPubSub::Broker : public std::enable_shared_from_this<Broker> {
 public:
  explicit Broker(Options options) : options_(options) {}

  // The worker keeps the broker alive until Stop() lets it finish.
  void Start() {
    worker_ = std::thread([self = shared_from_this()] { self->Run(); });
  }

  void Stop() {
    std::priority_queue<Delivery, std::vector<Delivery>, DueLater> dropped_queue;
    std::unordered_map<std::string, std::vector<std::shared_ptr<Subscriber>>> dropped_topics;
    std::vector<std::deque<Delivery>> dropped_parked;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      // Destroyed outside the lock: handlers may own things whose destructors call back in.
      dropped_queue.swap(queue_);
      dropped_topics.swap(topics_);
      // Parked deliveries point back at their subscriber: break the cycle.
      for (auto& [topic, subscribers] : dropped_topics) {
        for (auto& subscriber : subscribers) {
          std::deque<Delivery> parked;
          parked.swap(subscriber->parked);
          dropped_parked.push_back(std::move(parked));
        }
      }
    }
    wake_.notify_all();
    if (std::this_thread::get_id() == worker_.get_id()) {
      worker_.detach();  // the last handler dropped the component; the loop ends on its own
    } else if (worker_.joinable()) {
      worker_.join();
    }
  }

  // OK, UNAVAILABLE when stopping, RESOURCE_EXHAUSTED when a subscriber of the topic cannot
  // take one more unacked message (then no subscriber gets it: the publisher may retry).
  grpc::Status Publish(const std::string& topic, const Message& message) {
    size_t bytes = message->data().size();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "in-memory pubsub is shutting down");
      }
      auto it = topics_.find(topic);
      if (it == topics_.end()) return grpc::Status::OK;  // nobody subscribed: nothing to keep
      for (const auto& subscriber : it->second) {
        if (subscriber->unacked >= options_.max_unacked ||
            subscriber->unacked_bytes + bytes > options_.max_unacked_bytes) {
          limit_hits::Hit(limit_hits::Limit::kPubsubQueueFull);
          return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              "in-memory pubsub: a subscriber of topic '" + topic + "' has " +
                                  std::to_string(subscriber->unacked) +
                                  " messages not yet acked; try again later");
        }
      }
      auto now = Clock::now();
      for (const auto& subscriber : it->second) {
        ++subscriber->unacked;
        subscriber->unacked_bytes += bytes;
        queue_.push(Delivery{now, next_sequence_++, subscriber, message, 1});
      }
    }
    wake_.notify_one();
    return grpc::Status::OK;
  }

  std::string NextMessageId() {
    return std::to_string(next_message_id_.fetch_add(1, std::memory_order_relaxed) + 1);
  }

  std::unique_ptr<Subscription> Add(const std::string& topic, MessageHandler handler);

 private:
  class Handle;

  void Close(const std::shared_ptr<Subscriber>& subscriber) {
    MessageHandler released;
    std::deque<Delivery> parked;  // destroyed after the lock: they point back at `subscriber`
    {
      std::unique_lock lock(mutex_);
      if (subscriber->closed) return;
      subscriber->closed = true;
      parked.swap(subscriber->parked);
      if (auto it = topics_.find(subscriber->topic); it != topics_.end()) {
        std::erase(it->second, subscriber);
        if (it->second.empty()) topics_.erase(it);
      }
      // Called from inside this subscriber's handler: the worker releases it once it returns.
      if (std::this_thread::get_id() == worker_.get_id()) return;
      // Deliveries stop once Close returns: wait out a handler call already under way.
      idle_.wait(lock, [&] { return delivering_ != subscriber.get(); });
      released = std::move(subscriber->handler);
    }
  }

  // A receiver answered `message`: acked, it is done; rejected, it goes to the same subscriber
  // again after a backoff. Either way a slot is free for the next message waiting for one.
  void Settle(const std::shared_ptr<Subscriber>& subscriber, Message message, int attempt,
              bool acked) {
    {
      std::lock_guard lock(mutex_);
      if (subscriber->in_flight > 0) --subscriber->in_flight;
      if (acked) {
        if (subscriber->unacked > 0) --subscriber->unacked;
        size_t bytes = std::min(subscriber->unacked_bytes, message->data().size());
        subscriber->unacked_bytes -= bytes;
      }
      if (stopping_ || subscriber->closed) return;
      if (!acked) {
        queue_.push(Delivery{Clock::now() + RetryDelay(attempt), next_sequence_++, subscriber,
                             std::move(message), attempt + 1});
      }
      if (!subscriber->parked.empty()) {
        // Still due (its time has passed), and first among its subscriber's by sequence.
        queue_.push(std::move(subscriber->parked.front()));
        subscriber->parked.pop_front();
      }
    }
    wake_.notify_one();
  }

  Clock::duration RetryDelay(int attempt) const {
    return Backoff::DelayOfAttempt({options_.first_retry, 2.0, 0.2, options_.max_retry}, attempt);
  }

  void Run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (queue_.empty()) {
        wake_.wait(lock);
        continue;
      }
      if (auto due = queue_.top().due; due > Clock::now()) {
        wake_.wait_until(lock, due);
        continue;
      }
      Delivery next = queue_.top();
      queue_.pop();
      if (next.subscriber->closed) continue;
      if (next.subscriber->in_flight >= options_.max_in_flight) {
        // Waits, in order, for an answer to free a slot (Settle puts it back).
        next.subscriber->parked.push_back(std::move(next));
        continue;
      }
      ++next.subscriber->in_flight;
      delivering_ = next.subscriber.get();
      lock.unlock();
      Deliver(next);
      lock.lock();
      delivering_ = nullptr;
      MessageHandler released;
      if (next.subscriber->closed) released = std::move(next.subscriber->handler);
      idle_.notify_all();
      if (released) {
        lock.unlock();
        released = nullptr;
        lock.lock();
      }
    }
  }

  // Runs without the lock. Close() does not touch the handler while delivering_ names it.
  void Deliver(const Delivery& delivery) {
    StatusCallback ack = [weak = weak_from_this(), subscriber = delivery.subscriber,
                          message = delivery.message,
                          attempt = delivery.attempt](const grpc::Status& status) mutable {
      if (auto broker = weak.lock()) {
        broker->Settle(subscriber, std::move(message), attempt, status.ok());
      }
    };
    try {
      delivery.subscriber->handler(*delivery.message, std::move(ack));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("pubsub", "in-memory: a message handler for topic {} threw: {}",
                   delivery.subscriber->topic, e.what());
    } catch (...) {
      PH_LOG_ERROR("pubsub", "in-memory: a message handler for topic {} threw",
                   delivery.subscriber->topic);
    }
  }

  const Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;  // the worker: work arrived, or stop
  std::condition_variable idle_;  // Close(): the handler call under way returned
  std::priority_queue<Delivery, std::vector<Delivery>, DueLater> queue_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Subscriber>>> topics_;
  const Subscriber* delivering_ = nullptr;
  bool stopping_ = false;
  uint64_t next_sequence_ = 0;
  std::atomic<uint64_t> next_message_id_{0};
  std::thread worker_;
};

class InMemoryPubSub::Broker::Handle : public Subscription {
 public:
  Handle(std::weak_ptr<Broker> broker, std::shared_ptr<Subscriber> subscriber)
      : broker_(std::move(broker)), subscriber_(std::move(subscriber)) {}
  ~Handle() override { Close(); }

  void Close() override {
    if (auto broker = broker_.lock()) broker->Close(subscriber_);
  }

 private:
  std::weak_ptr<Broker> broker_;
  std::shared_ptr<Subscriber> subscriber_;
};

std::unique_ptr<Subscription> InMemoryPubSub::Broker::Add(const std::string& topic,
                                                          MessageHandler handler) {
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->topic = topic;
  subscriber->handler = std::move(handler);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      subscriber->closed = true;
    } else {
      topics_[topic].push_back(subscriber);
    }
  }
  return std::make_unique<Handle>(weak_from_this(), std::move(subscriber));
}

InMemoryPubSub::InMemoryPubSub() : InMemoryPubSub(Options{}) {}

InMemoryPubSub::InMemoryPubSub(Options options) : broker_(std::make_shared<Broker>(options)) {
  broker_->Start();
}

InMemoryPubSub::~InMemoryPubSub() { broker_->Stop(); }

void InMemoryPubSub::Init(const InitSpec& /*spec*/, StatusCallback done) { done(grpc::Status::OK); }

void InMemoryPubSub::Publish(pubsubpb::PublishRequest request, const CallOptions& /*options*/,
                             StatusCallback done) {
  auto message = std::make_shared<pubsubpb::PullMessagesResponse>();
  message->set_id(broker_->NextMessageId());
  message->set_topic_name(request.topic());
  message->set_data(std::move(*request.mutable_data()));
  message->set_content_type(std::move(*request.mutable_content_type()));
  message->mutable_metadata()->swap(*request.mutable_metadata());
  done(broker_->Publish(request.topic(), std::move(message)));
}

void InMemoryPubSub::BulkPublish(pubsubpb::BulkPublishRequest request,
                                 const CallOptions& /*options*/,
                                 Callback<pubsubpb::BulkPublishResponse> done) {
  pubsubpb::BulkPublishResponse response;
  for (auto& entry : *request.mutable_entries()) {
    auto message = std::make_shared<pubsubpb::PullMessagesResponse>();
    message->set_id(broker_->NextMessageId());
    message->set_topic_name(request.topic());
    message->set_data(std::move(*entry.mutable_event()));
    message->set_content_type(std::move(*entry.mutable_content_type()));
    // Entry metadata overrides the request's.
    auto& metadata = *message->mutable_metadata();
    metadata.insert(request.metadata().begin(), request.metadata().end());
    for (const auto& [key, value] : entry.metadata()) metadata[key] = value;
    if (auto status = broker_->Publish(request.topic(), std::move(message)); !status.ok()) {
      auto* failed = response.add_failed_entries();
      failed->set_entry_id(entry.entry_id());
      failed->set_error(status.error_message());
    }
  }
  done(grpc::Status::OK, std::move(response));
}

std::unique_ptr<Subscription> InMemoryPubSub::Subscribe(pubsubpb::Topic topic,
                                                        MessageHandler handler) {
  return broker_->Add(topic.name(), std::move(handler));
}

}  // namespace plughost
