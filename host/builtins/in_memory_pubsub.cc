#include "host/builtins/in_memory_pubsub.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <utility>

#include "host/common/log.h"

namespace plughost {
namespace {

using Clock = std::chrono::steady_clock;
using Message = std::shared_ptr<const pubsubpb::PullMessagesResponse>;

// One subscription. `handler` and `closed` are guarded by the broker's mutex.
struct Subscriber {
  std::string topic;
  MessageHandler handler;
  bool closed = false;
};

// One attempt at handing one message to one subscriber.
struct Delivery {
  Clock::time_point due;
  uint64_t sequence;  // keeps deliveries due at the same instant in publish order
  std::shared_ptr<Subscriber> subscriber;
  Message message;
  int attempt;  // 1 for the first delivery
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
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      // Destroyed outside the lock: handlers may own things whose destructors call back in.
      dropped_queue.swap(queue_);
      dropped_topics.swap(topics_);
    }
    wake_.notify_all();
    if (std::this_thread::get_id() == worker_.get_id()) {
      worker_.detach();  // the last handler dropped the component; the loop ends on its own
    } else if (worker_.joinable()) {
      worker_.join();
    }
  }

  bool Publish(const std::string& topic, Message message) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
      auto it = topics_.find(topic);
      if (it == topics_.end()) return true;  // nobody subscribed: nothing to keep
      auto now = Clock::now();
      for (const auto& subscriber : it->second) {
        queue_.push(Delivery{now, next_sequence_++, subscriber, message, 1});
      }
    }
    wake_.notify_one();
    return true;
  }

  std::string NextMessageId() {
    return std::to_string(next_message_id_.fetch_add(1, std::memory_order_relaxed) + 1);
  }

  std::unique_ptr<Subscription> Add(std::string topic, MessageHandler handler);

 private:
  class Handle;

  void Close(const std::shared_ptr<Subscriber>& subscriber) {
    MessageHandler released;
    {
      std::unique_lock lock(mutex_);
      if (subscriber->closed) return;
      subscriber->closed = true;
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

  // A receiver rejected `message`: hand it to the same subscriber again after a backoff.
  void Redeliver(std::shared_ptr<Subscriber> subscriber, Message message, int attempt) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || subscriber->closed) return;
      queue_.push(Delivery{Clock::now() + Backoff(attempt), next_sequence_++, std::move(subscriber),
                           std::move(message), attempt + 1});
    }
    wake_.notify_one();
  }

  Clock::duration Backoff(int attempt) const {
    Clock::duration delay = options_.first_retry;
    for (int i = 1; i < attempt && delay < options_.max_retry; ++i) delay *= 2;
    return std::min<Clock::duration>(delay, options_.max_retry);
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
                          attempt = delivery.attempt](grpc::Status status) mutable {
      if (status.ok()) return;
      if (auto broker = weak.lock()) {
        broker->Redeliver(std::move(subscriber), std::move(message), attempt);
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

std::unique_ptr<Subscription> InMemoryPubSub::Broker::Add(std::string topic,
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
  if (!broker_->Publish(request.topic(), std::move(message))) {
    done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "in-memory pubsub is shutting down"));
    return;
  }
  done(grpc::Status::OK);
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
    if (!broker_->Publish(request.topic(), std::move(message))) {
      auto* failed = response.add_failed_entries();
      failed->set_entry_id(entry.entry_id());
      failed->set_error("in-memory pubsub is shutting down");
    }
  }
  done(grpc::Status::OK, std::move(response));
}

std::unique_ptr<Subscription> InMemoryPubSub::Subscribe(pubsubpb::Topic topic,
                                                        MessageHandler handler) {
  return broker_->Add(topic.name(), std::move(handler));
}

}  // namespace plughost
