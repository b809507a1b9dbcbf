// What a subscribing MQTT instance (pub/sub, input binding) holds: one client session with its
// client id, and the Inbox that keeps received messages until the host acks them. Init may run
// again: a changed configuration replaces the client, the Inbox and its held messages stay.
#pragma once

#include <chrono>
#include <memory>

#include <grpcpp/support/status.h>

#include "absl/synchronization/mutex.h"
#include "components/mqtt/client.h"
#include "components/mqtt/inbox.h"

namespace plughost::mqtt {

inline grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

class Session {
 public:
  explicit Session(InboxOptions options = {}) : inbox_(std::make_shared<Inbox>(options)) {}

  // (Re)connects with `options`, waiting up to `wait` for the broker: UNAVAILABLE when it does
  // not answer (as Dapr's Init fails). Filters in use are subscribed on the new client.
  grpc::Status Connect(MqttClient::Options options, std::chrono::milliseconds wait);

  // The client, or FAILED_PRECONDITION before a successful Connect.
  absl::StatusOr<std::shared_ptr<MqttClient>> client();
  std::shared_ptr<Inbox> inbox() { return inbox_; }
  grpc::Status Health();

 private:
  const std::shared_ptr<Inbox> inbox_;
  absl::Mutex mutex_;
  std::shared_ptr<MqttClient> client_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::mqtt
