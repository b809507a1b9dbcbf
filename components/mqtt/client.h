// One MQTT client session on libmosquitto: its own network thread that connects, reconnects with
// plughost::Backoff after any loss, re-subscribes every filter on each connect (a persistent
// session keeps them on the broker too), and hands each received message to a handler. Publish
// and Subscribe wait for the broker's acknowledgement (PUBACK / SUBACK) with a bound.
//
// libmosquitto acknowledges a received QoS 1 message (PUBACK) as it arrives, before the handler
// runs: from then on the broker considers it delivered, so the owner must keep it until its
// consumer is done (see inbox.h).
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "components/mqtt/settings.h"

struct mosquitto;
struct mosquitto_message;

namespace plughost::mqtt {

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
};

class MqttClient {
 public:
  struct Options {
    BrokerSettings broker;
    std::string client_id;
    bool clean_session = false;
    int subscribe_qos = 1;
  };
  // Runs on the network thread; must not block for long.
  using MessageHandler = std::function<void(ReceivedMessage)>;

  // Starts the network thread; the first connection attempt happens there.
  static absl::StatusOr<std::unique_ptr<MqttClient>> Create(Options options,
                                                            MessageHandler handler);
  ~MqttClient();  // stops the thread and disconnects
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Publishes and, for QoS 1 and 2, waits up to `wait` for the broker's acknowledgement.
  // UNAVAILABLE at once while disconnected; DEADLINE_EXCEEDED when no acknowledgement came (the
  // message may still reach the broker: libmosquitto resends it after a reconnect).
  absl::Status Publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                       std::chrono::milliseconds wait);
  // Adds `filter` to the session (kept across reconnects) and waits up to `wait` for the SUBACK
  // when connected. Idempotent.
  absl::Status Subscribe(const std::string& filter, std::chrono::milliseconds wait);
  void Unsubscribe(const std::string& filter);

  // OK while connected; else UNAVAILABLE with the last connection error.
  absl::Status Health();
  // True once connected (or already), false after `wait`.
  bool WaitConnected(std::chrono::milliseconds wait);

  const Options& options() const { return options_; }
  std::set<std::string> filters() {
    absl::MutexLock lock(&mutex_);
    return filters_;
  }

 private:
  MqttClient(Options options, MessageHandler handler);
  absl::Status Configure();
  void Run();
  // Waits up to `wait` for the acknowledgement of message `mid`.
  absl::Status AwaitAck(int mid, std::chrono::milliseconds wait, const char* what);
  void Acknowledged(int mid);
  void Connected(int rc);
  void Lost(const std::string& why);

  static void OnConnect(mosquitto* mosq, void* self, int rc);
  static void OnDisconnect(mosquitto* mosq, void* self, int rc);
  static void OnPublish(mosquitto* mosq, void* self, int mid);
  static void OnSubscribe(mosquitto* mosq, void* self, int mid, int count, const int* granted);
  static void OnMessage(mosquitto* mosq, void* self, const mosquitto_message* message);

  const Options options_;
  const MessageHandler handler_;
  mosquitto* mosq_ = nullptr;
  std::string tls_dir_;  // PEM files written for libmosquitto, removed in the destructor
  std::thread thread_;

  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool connected_ ABSL_GUARDED_BY(mutex_) = false;
  std::string last_error_ ABSL_GUARDED_BY(mutex_) = "not connected yet";
  std::set<std::string> filters_ ABSL_GUARDED_BY(mutex_);
  // Acknowledged mids nobody collected yet (an ack may beat its waiter), oldest first, bounded.
  std::set<int> acknowledged_ ABSL_GUARDED_BY(mutex_);
  std::deque<int> acknowledged_order_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::mqtt
