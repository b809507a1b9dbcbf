#include "components/mqtt/session.h"

#include <set>

namespace plughost::mqtt {

grpc::Status Session::Connect(MqttClient::Options options, std::chrono::milliseconds wait) {
  std::shared_ptr<MqttClient> previous;
  {
    absl::MutexLock lock(&mutex_);
    previous = std::move(client_);
  }
  std::set<std::string> filters;
  if (previous) filters = previous->filters();
  // Two clients with one client id would push each other off the broker: the old one goes first.
  previous.reset();
  std::weak_ptr<Inbox> inbox = inbox_;
  auto created = MqttClient::Create(std::move(options), [inbox](ReceivedMessage message) {
    if (auto alive = inbox.lock()) alive->Receive(std::move(message));
  });
  if (!created.ok()) return ToGrpc(created.status());
  std::shared_ptr<MqttClient> client = std::move(*created);
  for (const std::string& filter : filters)
    (void)client->Subscribe(filter, std::chrono::milliseconds(0));
  {
    // Kept even when the broker does not answer yet: it keeps trying, Ping tells.
    absl::MutexLock lock(&mutex_);
    client_ = client;
  }
  if (!client->WaitConnected(wait)) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "mqtt: error connecting: " + std::string(client->Health().message()));
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::shared_ptr<MqttClient>> Session::client() {
  absl::MutexLock lock(&mutex_);
  if (!client_) return absl::FailedPreconditionError("mqtt: the component is not initialised");
  return client_;
}

grpc::Status Session::Health() {
  auto client = this->client();
  if (!client.ok()) return ToGrpc(client.status());
  return ToGrpc((*client)->Health());
}

}  // namespace plughost::mqtt
