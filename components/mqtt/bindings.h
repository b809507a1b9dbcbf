// bindings.mqtt-bindings: Dapr's bindings.mqtt3 on libmosquitto, both directions on one socket.
// Metadata as Dapr's: `url`, `topic` (required), `consumerID` (required), `retain`,
// `cleanSession`, `backOffMaxRetries`, `caCert` / `clientCert` / `clientKey`; `qos` is accepted
// and, as in Dapr, fixed at 1.
// - input: client id `<consumerID>-consumer` subscribed to `topic` (wildcards allowed); each
//   message is an event with metadata `topic` = the topic it came on. A failed event is sent
//   again every 5 s up to `backOffMaxRetries` times (-1: forever), then dropped.
// - output: client id `<consumerID>-producer`; operation `create` publishes the data to the
//   request's metadata `topic`, else the component's, at QoS 1 with `retain`.
#pragma once

#include "components/mqtt/session.h"
#include "components/mqtt/settings.h"
#include "sdk/cpp/input_binding.h"
#include "sdk/cpp/output_binding.h"

namespace plughost::mqtt {

class MqttInputBinding final : public sdk::InputBinding {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override;
  grpc::Status Ping() override;
  sdk::WorkerPool* workers() override { return &workers_; }
  absl::StatusOr<std::shared_ptr<sdk::ReadSubscription>> Read(
      std::shared_ptr<sdk::EventStream> stream) override;

 private:
  static grpc::Status NotInitialised() {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "mqtt: the component is not initialised");
  }

  sdk::WorkerPool workers_{2};
  absl::Mutex mutex_;
  // Made by the first Init, whose backOffMaxRetries sets how often a failed event is retried.
  std::shared_ptr<Session> session_ ABSL_GUARDED_BY(mutex_);
  std::string topic_ ABSL_GUARDED_BY(mutex_);
};

class MqttOutputBinding final : public sdk::OutputBinding {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override;
  grpc::Status Ping() override { return session_.Health(); }
  sdk::WorkerPool* workers() override { return &workers_; }
  std::vector<std::string> Operations() override { return {"create"}; }
  grpc::Status Invoke(const sdk::bindingpb::InvokeRequest& request,
                      sdk::bindingpb::InvokeResponse* response) override;

 private:
  sdk::WorkerPool workers_{4};
  Session session_;
  absl::Mutex mutex_;
  MqttSettings settings_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::mqtt
