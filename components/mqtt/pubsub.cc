#include "components/mqtt/pubsub.h"

namespace plughost::mqtt {
namespace {

// Dapr waits 20 s for a publish token; a host call should not wait that long.
constexpr std::chrono::milliseconds kPublishWait{10000};
constexpr std::chrono::milliseconds kSubscribeWait{5000};
constexpr std::chrono::milliseconds kConnectWait{5000};

class MqttSubscription final : public sdk::TopicSubscription {
 public:
  MqttSubscription(std::shared_ptr<Consumer> consumer, std::shared_ptr<Inbox> inbox,
                   std::shared_ptr<MqttClient> client, bool unsubscribe_on_close)
      : consumer_(std::move(consumer)),
        inbox_(std::move(inbox)),
        client_(std::move(client)),
        unsubscribe_on_close_(unsubscribe_on_close) {}

  void OnAck(const std::string& id, const std::optional<std::string>& error) override {
    consumer_->OnAck(id, !error.has_value());
  }

  void Close() override {
    consumer_->Detach();
    if (unsubscribe_on_close_ && !inbox_->FilterInUse(consumer_->filter())) {
      client_->Unsubscribe(consumer_->filter());
    }
  }

 private:
  std::shared_ptr<Consumer> consumer_;
  std::shared_ptr<Inbox> inbox_;
  std::shared_ptr<MqttClient> client_;
  const bool unsubscribe_on_close_;
};

}  // namespace

grpc::Status MqttPubSub::Init(const sdk::Metadata& metadata) {
  // A socket nobody configured (a host instantiating what it discovers): a local broker.
  auto parsed = ParseMqttSettings(
      metadata.empty() ? Metadata{{"url", "tcp://localhost:1883"}, {"consumerID", "plughost"}}
                       : metadata);
  if (!parsed.ok()) return ToGrpc(parsed.status());
  {
    absl::MutexLock lock(&mutex_);
    settings_ = *parsed;
  }
  MqttClient::Options options;
  options.broker = parsed->broker;
  options.client_id = parsed->consumer_id;
  options.clean_session = parsed->clean_session;
  options.subscribe_qos = parsed->qos;
  return session_.Connect(std::move(options), kConnectWait);
}

MqttSettings MqttPubSub::settings() {
  absl::MutexLock lock(&mutex_);
  return settings_;
}

grpc::Status MqttPubSub::Publish(const sdk::pubsubpb::PublishRequest& request) {
  auto client = session_.client();
  if (!client.ok()) return ToGrpc(client.status());
  MqttSettings current = settings();
  bool retain = current.retain;
  if (auto it = request.metadata().find("retain"); it != request.metadata().end()) {
    auto value = ParseBool(it->second);
    if (!value.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "mqtt invalid retain " + it->second);
    }
    retain = *value;
  }
  return ToGrpc(
      (*client)->Publish(request.topic(), request.data(), current.qos, retain, kPublishWait));
}

absl::StatusOr<std::shared_ptr<sdk::TopicSubscription>> MqttPubSub::Subscribe(
    const sdk::pubsubpb::Topic& topic, std::shared_ptr<sdk::MessageStream> stream) {
  auto client = session_.client();
  if (!client.ok()) return client.status();
  const std::string& filter = topic.name();
  if (absl::Status subscribed = (*client)->Subscribe(filter, kSubscribeWait); !subscribed.ok()) {
    return subscribed;
  }
  bool unsubscribe_on_close = settings().clean_session;
  if (auto it = topic.metadata().find("unsubscribeOnClose"); it != topic.metadata().end()) {
    unsubscribe_on_close = ParseBool(it->second).value_or(unsubscribe_on_close);
  }
  auto consumer = session_.inbox()->Attach(
      filter, [stream](const std::string& id, const ReceivedMessage& message) {
        sdk::pubsubpb::PullMessagesResponse response;
        response.set_id(id);
        response.set_topic_name(message.topic);
        response.set_data(message.payload);
        (*response.mutable_metadata())["retained"] = message.retained ? "true" : "false";
        return stream->Send(std::move(response));
      });
  return std::make_shared<MqttSubscription>(std::move(consumer), session_.inbox(),
                                            std::move(*client), unsubscribe_on_close);
}

}  // namespace plughost::mqtt
