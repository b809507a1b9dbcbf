#include "examples/components/cpp/pubsub_service.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "sdk/cpp/unary_reaction.h"

namespace plughost::sample {
namespace {

using Message = Broker::Message;
using Reactor =
    grpc::ServerBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>;

constexpr char kFailWithKey[] = "failWith";
constexpr auto kFirstRedelivery = std::chrono::milliseconds(100);
constexpr auto kMaxRedelivery = std::chrono::milliseconds(1000);

// Runs `fn` once after `delay` on a gRPC thread (not at all if the process stops first).
template <typename Fn>
void After(std::chrono::milliseconds delay, Fn fn) {
  auto* alarm = new grpc::Alarm();
  alarm->Set(std::chrono::system_clock::now() + delay,
             [alarm, fn = std::move(fn)](bool fired) mutable {
               if (fired) fn();
               delete alarm;  // gRPC keeps its own reference until this callback returns
             });
}

}  // namespace

// What one PullMessages stream shares with the broker: the responses waiting to be written and
// the messages sent and not yet acked, by the delivery id this stream gave them.
class Consumer {
 public:
  explicit Consumer(Reactor* stream) : stream_(stream) {}

  void set_topic(const std::string& topic) {
    std::lock_guard lock(mutex_);
    topic_ = topic;
  }

  // Queues `message` on the stream; false (message untouched) when the stream is closing.
  bool Send(Message& message) {
    pubsubpb::PullMessagesResponse* write = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (closing_) return false;
      std::string id = "d" + std::to_string(++next_id_);
      auto& out = outbox_.emplace_back();
      out.set_id(id);
      out.set_topic_name(topic_);
      out.set_data(message.data);
      out.set_content_type(message.content_type);
      out.mutable_metadata()->insert(message.metadata.begin(), message.metadata.end());
      ++message.attempts;
      unacked_.emplace(std::move(id), std::move(message));
      if (!writing_) {
        writing_ = true;
        write = &outbox_.front();
      }
    }
    // The stream stays alive: it cannot finish while `writing_` is set.
    if (write != nullptr) stream_->StartWrite(write);
    return true;
  }

  // The message delivery `id` carried, if it is still unacked; it is now the caller's.
  std::optional<Message> TakeUnacked(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = unacked_.find(id);
    if (it == unacked_.end()) return std::nullopt;
    Message message = std::move(it->second);
    unacked_.erase(it);
    return message;
  }

  // A write completed: the next response to write, or null (then `*finish` says whether the
  // stream should be finished now).
  pubsubpb::PullMessagesResponse* WriteDone(bool ok, bool* finish, grpc::Status* status) {
    std::lock_guard lock(mutex_);
    outbox_.pop_front();
    if (ok && !closing_ && !outbox_.empty()) return &outbox_.front();
    writing_ = false;
    *finish = closing_ && !finished_;
    if (*finish) {
      finished_ = true;
      *status = status_;
    }
    return nullptr;
  }

  // Stops sending; returns the unacked messages. `*finish_now` is false when a write is in
  // flight (WriteDone finishes then) or the stream was already closing.
  std::vector<Message> Close(grpc::Status status, bool* finish_now) {
    std::lock_guard lock(mutex_);
    *finish_now = false;
    if (closing_) return {};
    closing_ = true;
    status_ = std::move(status);
    std::vector<Message> unacked;
    for (auto& [id, message] : unacked_) unacked.push_back(std::move(message));
    unacked_.clear();
    while (outbox_.size() > (writing_ ? 1 : 0)) outbox_.pop_back();
    if (!writing_) {
      finished_ = true;
      *finish_now = true;
    }
    return unacked;
  }

  bool closing() {
    std::lock_guard lock(mutex_);
    return closing_;
  }

 private:
  Reactor* stream_;
  std::mutex mutex_;
  std::string topic_;
  uint64_t next_id_ = 0;
  std::deque<pubsubpb::PullMessagesResponse> outbox_;  // front is being written while writing_
  bool writing_ = false;
  std::map<std::string, Message> unacked_;
  bool closing_ = false;
  bool finished_ = false;
  grpc::Status status_;
};

namespace {

// One PullMessages stream: the first request names the topic, later ones ack deliveries.
class PullStream final : public Reactor {
 public:
  explicit PullStream(std::shared_ptr<Broker> broker)
      : broker_(std::move(broker)), consumer_(std::make_shared<Consumer>(this)) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      End(grpc::Status::OK);
      return;
    }
    if (topic_.empty()) {
      if (request_.topic().name().empty()) {
        End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         "the first PullMessagesRequest must name a topic"));
        return;
      }
      topic_ = request_.topic().name();
      consumer_->set_topic(topic_);
      broker_->Attach(topic_, consumer_);
    } else if (!request_.ack_message_id().empty()) {
      if (auto message = consumer_->TakeUnacked(request_.ack_message_id())) {
        if (request_.has_ack_error()) broker_->Redeliver(topic_, std::move(*message));
      }
    }
    if (!consumer_->closing()) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    bool finish = false;
    grpc::Status status;
    if (auto* next = consumer_->WriteDone(ok, &finish, &status)) {
      StartWrite(next);
    } else if (finish) {
      Finish(status);
    } else if (!ok) {
      End(grpc::Status::OK);  // the host went away
    }
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }

 private:
  void End(grpc::Status status) {
    bool finish_now = false;
    auto unacked = consumer_->Close(status, &finish_now);
    if (!topic_.empty()) broker_->Detach(topic_, consumer_, std::move(unacked));
    if (finish_now) Finish(status);
  }

  std::shared_ptr<Broker> broker_;
  std::shared_ptr<Consumer> consumer_;
  pubsubpb::PullMessagesRequest request_;
  std::string topic_;  // empty until the first request arrives
};

std::map<std::string, std::string> MetadataOf(
    const google::protobuf::Map<std::string, std::string>& metadata) {
  return {metadata.begin(), metadata.end()};
}

}  // namespace

void Broker::Publish(const std::string& topic, Message message) {
  {
    std::lock_guard lock(mutex_);
    topics_[topic].ready.push_back(std::move(message));
  }
  Dispatch(topic);
}

void Broker::Attach(const std::string& topic, std::shared_ptr<Consumer> consumer) {
  {
    std::lock_guard lock(mutex_);
    topics_[topic].consumers.push_back(std::move(consumer));
  }
  Dispatch(topic);
}

void Broker::Detach(const std::string& topic, const std::shared_ptr<Consumer>& consumer,
                    std::vector<Message> unacked) {
  {
    std::lock_guard lock(mutex_);
    auto& queue = topics_[topic];
    std::erase(queue.consumers, consumer);
    for (auto& message : unacked) queue.ready.push_front(std::move(message));
  }
  Dispatch(topic);
}

void Broker::Redeliver(const std::string& topic, Message message) {
  auto delay = kFirstRedelivery;
  for (int i = 1; i < message.attempts && delay < kMaxRedelivery; ++i) delay *= 2;
  delay = std::min(delay, std::chrono::milliseconds(kMaxRedelivery));
  After(delay, [weak = weak_from_this(), topic, message = std::move(message)]() mutable {
    auto self = weak.lock();
    if (!self) return;
    {
      std::lock_guard lock(self->mutex_);
      self->topics_[topic].ready.push_front(std::move(message));
    }
    self->Dispatch(topic);
  });
}

void Broker::Dispatch(const std::string& topic) {
  while (true) {
    std::shared_ptr<Consumer> consumer;
    Message message;
    {
      std::lock_guard lock(mutex_);
      auto it = topics_.find(topic);
      if (it == topics_.end()) return;
      Topic& queue = it->second;
      if (queue.ready.empty() || queue.consumers.empty()) return;
      consumer = queue.consumers[queue.next_consumer++ % queue.consumers.size()];
      message = std::move(queue.ready.front());
      queue.ready.pop_front();
    }
    // Sent without the broker's lock: a write may complete on this very thread.
    if (!consumer->Send(message)) {
      std::lock_guard lock(mutex_);
      auto& queue = topics_[topic];
      queue.ready.push_front(std::move(message));
      std::erase(queue.consumers, consumer);  // closing; its Detach may not have run yet
    }
  }
}

grpc::ServerUnaryReactor* PubSubService::Init(grpc::CallbackServerContext* context,
                                              const pubsubpb::PubSubInitRequest* /*request*/,
                                              pubsubpb::PubSubInitResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    instances_->For(*context);  // creates the instance's broker
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* PubSubService::Features(grpc::CallbackServerContext* context,
                                                  const pubsubpb::FeaturesRequest* /*request*/,
                                                  pubsubpb::FeaturesResponse* response) {
  return sdk::ReactUnary(context, [&] {
    response->add_features("BULK_PUBSUB");
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* PubSubService::Ping(grpc::CallbackServerContext* context,
                                              const pubsubpb::PingRequest* /*request*/,
                                              pubsubpb::PingResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* PubSubService::Publish(grpc::CallbackServerContext* context,
                                                 const pubsubpb::PublishRequest* request,
                                                 pubsubpb::PublishResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    if (request->topic().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "topic is required");
    }
    if (auto it = request->metadata().find(kFailWithKey); it != request->metadata().end()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, it->second);
    }
    instances_->For(*context)->Publish(
        request->topic(),
        Message{request->data(), request->content_type(), MetadataOf(request->metadata()), 0});
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* PubSubService::BulkPublish(grpc::CallbackServerContext* context,
                                                     const pubsubpb::BulkPublishRequest* request,
                                                     pubsubpb::BulkPublishResponse* response) {
  return sdk::ReactUnary(context, [&] {
    if (request->topic().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "topic is required");
    }
    auto broker = instances_->For(*context);
    for (const auto& entry : request->entries()) {
      if (auto it = entry.metadata().find(kFailWithKey); it != entry.metadata().end()) {
        auto* failed = response->add_failed_entries();
        failed->set_entry_id(entry.entry_id());
        failed->set_error(it->second);
        continue;
      }
      broker->Publish(request->topic(), Message{entry.event(), entry.content_type(),
                                                MetadataOf(entry.metadata()), 0});
    }
    return grpc::Status::OK;
  });
}

grpc::ServerBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>*
PubSubService::PullMessages(grpc::CallbackServerContext* context) {
  return new PullStream(instances_->For(*context));
}

}  // namespace plughost::sample
