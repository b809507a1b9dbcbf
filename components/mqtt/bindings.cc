#include "components/mqtt/bindings.h"

#include <cstdio>

namespace plughost::mqtt {
namespace {

constexpr std::chrono::milliseconds kConnectWait{5000};
constexpr std::chrono::milliseconds kSubscribeWait{5000};
// Dapr waits 10 s per publish attempt.
constexpr std::chrono::milliseconds kPublishWait{10000};

absl::StatusOr<MqttSettings> ParseBindingSettings(const sdk::Metadata& metadata) {
  auto settings = ParseMqttSettings(metadata);
  if (!settings.ok()) return settings.status();
  if (settings->topic.empty()) return absl::InvalidArgumentError("mqtt: missing topic");
  if (!Lookup(metadata, "qos").empty() && settings->qos != 1) {
    std::fprintf(stderr,
                 "plughost-mqtt: Metadata property 'qos' has been deprecated and is ignored; "
                 "qos is set to 1\n");
  }
  settings->qos = 1;
  return settings;
}

MqttClient::Options ClientOptions(const MqttSettings& settings, const char* suffix) {
  MqttClient::Options options;
  options.broker = settings.broker;
  options.client_id = settings.consumer_id + suffix;
  options.clean_session = settings.clean_session;
  options.subscribe_qos = 1;
  return options;
}

class MqttReadSubscription final : public sdk::ReadSubscription {
 public:
  explicit MqttReadSubscription(std::shared_ptr<Consumer> consumer)
      : consumer_(std::move(consumer)) {}
  void OnAck(const std::string& id, const std::optional<std::string>& error,
             const std::string& /*response*/) override {
    consumer_->OnAck(id, !error.has_value());
  }
  void Close() override { consumer_->Detach(); }

 private:
  std::shared_ptr<Consumer> consumer_;
};

}  // namespace

grpc::Status MqttInputBinding::Init(const sdk::Metadata& metadata) {
  auto settings = ParseBindingSettings(metadata);
  if (!settings.ok()) return ToGrpc(settings.status());
  std::shared_ptr<Session> session;
  {
    absl::MutexLock lock(&mutex_);
    if (!session_) {
      InboxOptions options;
      options.max_redeliveries = settings->back_off_max_retries;
      // Dapr retries a failed event at a constant 5 s.
      options.redelivery = {std::chrono::milliseconds(5000), 1.0, 0.0,
                            std::chrono::milliseconds(5000)};
      session_ = std::make_shared<Session>(options);
    }
    topic_ = settings->topic;
    session = session_;
  }
  grpc::Status connected = session->Connect(ClientOptions(*settings, "-consumer"), kConnectWait);
  if (!connected.ok()) return connected;
  auto client = session->client();
  if (!client.ok()) return ToGrpc(client.status());
  // Subscribed from Init, as Dapr's: messages published before the host opens Read are kept.
  return ToGrpc((*client)->Subscribe(settings->topic, kSubscribeWait));
}

grpc::Status MqttInputBinding::Ping() {
  absl::MutexLock lock(&mutex_);
  return session_ ? session_->Health() : NotInitialised();
}

absl::StatusOr<std::shared_ptr<sdk::ReadSubscription>> MqttInputBinding::Read(
    std::shared_ptr<sdk::EventStream> stream) {
  std::shared_ptr<Session> session;
  std::string topic;
  {
    absl::MutexLock lock(&mutex_);
    session = session_;
    topic = topic_;
  }
  if (!session) return absl::FailedPreconditionError("mqtt: the component is not initialised");
  auto consumer = session->inbox()->Attach(
      topic, [stream](const std::string& id, const ReceivedMessage& message) {
        sdk::inputpb::ReadResponse event;
        event.set_message_id(id);
        event.set_data(message.payload);
        (*event.mutable_metadata())["topic"] = message.topic;
        return stream->Send(std::move(event));
      });
  return std::make_shared<MqttReadSubscription>(std::move(consumer));
}

grpc::Status MqttOutputBinding::Init(const sdk::Metadata& metadata) {
  auto settings = ParseBindingSettings(metadata);
  if (!settings.ok()) return ToGrpc(settings.status());
  {
    absl::MutexLock lock(&mutex_);
    settings_ = *settings;
  }
  return session_.Connect(ClientOptions(*settings, "-producer"), kConnectWait);
}

grpc::Status MqttOutputBinding::Invoke(const sdk::bindingpb::InvokeRequest& request,
                                       sdk::bindingpb::InvokeResponse* /*response*/) {
  if (request.operation() != "create") {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "mqtt: operation \"" + request.operation() +
                            "\" is not supported; the only operation is create");
  }
  auto client = session_.client();
  if (!client.ok()) return ToGrpc(client.status());
  MqttSettings current;
  {
    absl::MutexLock lock(&mutex_);
    current = settings_;
  }
  std::string topic = current.topic;
  if (auto it = request.metadata().find("topic");
      it != request.metadata().end() && !it->second.empty()) {
    topic = it->second;
  }
  return ToGrpc((*client)->Publish(topic, request.data(), 1, current.retain, kPublishWait));
}

}  // namespace plughost::mqtt
