#include "components/mqtt/client.h"

#include <mosquitto.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

#include "common/backoff.h"

namespace plughost::mqtt {
namespace {

constexpr int kKeepAliveSeconds = 30;
// How long one network round waits for traffic: bounds how late a stop is noticed.
constexpr int kLoopTimeoutMs = 100;
// Acknowledged mids kept for waiters that have not looked yet.
constexpr size_t kMaxUncollectedAcks = 256;

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string WriteFile(const std::string& dir, const char* name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream out(path);
  out << text;
  return path;
}

}  // namespace

MqttClient::MqttClient(Options options, MessageHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

absl::StatusOr<std::unique_ptr<MqttClient>> MqttClient::Create(Options options,
                                                               MessageHandler handler) {
  InitLibraryOnce();
  std::unique_ptr<MqttClient> client(new MqttClient(std::move(options), std::move(handler)));
  if (absl::Status configured = client->Configure(); !configured.ok()) return configured;
  client->thread_ = std::thread([raw = client.get()] { raw->Run(); });
  return client;
}

absl::Status MqttClient::Configure() {
  mosq_ = mosquitto_new(options_.client_id.c_str(), options_.clean_session, this);
  if (mosq_ == nullptr) {
    return absl::InvalidArgumentError("mqtt: cannot create a client with id \"" +
                                      options_.client_id + "\"");
  }
  mosquitto_threaded_set(mosq_, true);  // our own network thread; publishes come from workers
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, &MqttClient::OnConnect);
  mosquitto_disconnect_callback_set(mosq_, &MqttClient::OnDisconnect);
  mosquitto_publish_callback_set(mosq_, &MqttClient::OnPublish);
  mosquitto_subscribe_callback_set(mosq_, &MqttClient::OnSubscribe);
  mosquitto_message_callback_set(mosq_, &MqttClient::OnMessage);
  const BrokerSettings& broker = options_.broker;
  if (!broker.username.empty()) {
    mosquitto_username_pw_set(mosq_, broker.username.c_str(),
                              broker.password.empty() ? nullptr : broker.password.c_str());
  }
  if (broker.tls) {
    // libmosquitto reads certificates from files: Dapr's metadata carries PEM text.
    char pattern[] = "/tmp/plughost-mqtt-tls-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return absl::InternalError("mqtt: cannot create a TLS dir");
    tls_dir_ = pattern;
    std::string ca = broker.ca_cert.empty() ? "" : WriteFile(tls_dir_, "ca.pem", broker.ca_cert);
    std::string cert =
        broker.client_cert.empty() ? "" : WriteFile(tls_dir_, "cert.pem", broker.client_cert);
    std::string key =
        broker.client_key.empty() ? "" : WriteFile(tls_dir_, "key.pem", broker.client_key);
    int rc = mosquitto_tls_set(
        mosq_, ca.empty() ? nullptr : ca.c_str(), ca.empty() ? "/etc/ssl/certs" : nullptr,
        cert.empty() ? nullptr : cert.c_str(), key.empty() ? nullptr : key.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return absl::InvalidArgumentError(std::string("mqtt: invalid TLS settings: ") +
                                        mosquitto_strerror(rc));
    }
  }
  return absl::OkStatus();
}

MqttClient::~MqttClient() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (mosq_ != nullptr) {
    mosquitto_disconnect(mosq_);
    mosquitto_destroy(mosq_);
  }
  if (!tls_dir_.empty()) {
    for (const char* name : {"ca.pem", "cert.pem", "key.pem"})
      ::unlink((tls_dir_ + "/" + name).c_str());
    ::rmdir(tls_dir_.c_str());
  }
}

void MqttClient::Run() {
  Backoff backoff(
      Backoff::Options{std::chrono::milliseconds(100), 1.6, 0.2, std::chrono::milliseconds(5000)});
  bool socket_open = false;
  auto stopping = [this] {
    absl::MutexLock lock(&mutex_);
    return stopping_;
  };
  auto pause = [this](std::chrono::milliseconds wait) {
    absl::MutexLock lock(&mutex_);
    mutex_.AwaitWithTimeout(absl::Condition(&stopping_), absl::FromChrono(wait));
  };
  while (!stopping()) {
    if (!socket_open) {
      int rc = mosquitto_connect(mosq_, options_.broker.host.c_str(), options_.broker.port,
                                 kKeepAliveSeconds);
      if (rc != MOSQ_ERR_SUCCESS) {
        Lost(rc == MOSQ_ERR_ERRNO ? std::string("connect: ") + std::strerror(errno)
                                  : std::string("connect: ") + mosquitto_strerror(rc));
        pause(backoff.NextDelay());
        continue;
      }
      socket_open = true;
    }
    int rc = mosquitto_loop(mosq_, kLoopTimeoutMs, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      socket_open = false;
      Lost(rc == MOSQ_ERR_ERRNO ? std::string("connection lost: ") + std::strerror(errno)
                                : std::string("connection lost: ") + mosquitto_strerror(rc));
      pause(backoff.NextDelay());
      continue;
    }
    bool connected;
    {
      absl::MutexLock lock(&mutex_);
      connected = connected_;
    }
    if (connected) backoff.Reset();
  }
}

void MqttClient::Lost(const std::string& why) {
  absl::MutexLock lock(&mutex_);
  if (connected_) {
    std::fprintf(stderr, "plughost-mqtt: client %s lost %s (%s); reconnecting\n",
                 options_.client_id.c_str(), options_.broker.url.c_str(), why.c_str());
  }
  connected_ = false;
  last_error_ = why;
}

void MqttClient::Connected(int rc) {
  std::set<std::string> filters;
  {
    absl::MutexLock lock(&mutex_);
    if (rc != 0) {
      connected_ = false;
      last_error_ =
          std::string("the broker refused the connection: ") + mosquitto_connack_string(rc);
      return;
    }
    connected_ = true;
    last_error_.clear();
    filters = filters_;
  }
  // A clean session forgot them; a persistent one keeps them, and SUBSCRIBE again is harmless.
  for (const std::string& filter : filters) {
    mosquitto_subscribe(mosq_, nullptr, filter.c_str(), options_.subscribe_qos);
  }
}

void MqttClient::Acknowledged(int mid) {
  absl::MutexLock lock(&mutex_);
  acknowledged_.insert(mid);
  acknowledged_order_.push_back(mid);
  while (acknowledged_order_.size() > kMaxUncollectedAcks) {
    acknowledged_.erase(acknowledged_order_.front());
    acknowledged_order_.pop_front();
  }
}

absl::Status MqttClient::AwaitAck(int mid, std::chrono::milliseconds wait, const char* what) {
  absl::MutexLock lock(&mutex_);
  auto done = [this, mid]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return acknowledged_.count(mid) > 0 || !connected_ || stopping_;
  };
  mutex_.AwaitWithTimeout(absl::Condition(&done), absl::FromChrono(wait));
  if (acknowledged_.erase(mid) > 0) return absl::OkStatus();
  if (!connected_) {
    return absl::UnavailableError(std::string("mqtt: ") + what +
                                  ": the connection to the broker was lost before its "
                                  "acknowledgement (" +
                                  last_error_ + ")");
  }
  return absl::DeadlineExceededError(std::string("mqtt: ") + what +
                                     ": no acknowledgement from the broker in time");
}

absl::Status MqttClient::Publish(const std::string& topic, const std::string& payload, int qos,
                                 bool retain, std::chrono::milliseconds wait) {
  if (absl::Status health = Health(); !health.ok()) return health;
  int mid = 0;
  int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain);
  if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) {
    return absl::UnavailableError(std::string("mqtt: publish: ") + mosquitto_strerror(rc));
  }
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::InvalidArgumentError(std::string("mqtt: publish to \"") + topic +
                                      "\": " + mosquitto_strerror(rc));
  }
  if (qos == 0) return absl::OkStatus();
  return AwaitAck(mid, wait, "publish");
}

absl::Status MqttClient::Subscribe(const std::string& filter, std::chrono::milliseconds wait) {
  if (mosquitto_sub_topic_check(filter.c_str()) != MOSQ_ERR_SUCCESS) {
    return absl::InvalidArgumentError("mqtt: invalid topic filter \"" + filter + "\"");
  }
  bool connected;
  {
    absl::MutexLock lock(&mutex_);
    filters_.insert(filter);
    connected = connected_;
  }
  if (!connected) return absl::OkStatus();  // subscribed on connect
  int mid = 0;
  int rc = mosquitto_subscribe(mosq_, &mid, filter.c_str(), options_.subscribe_qos);
  if (rc != MOSQ_ERR_SUCCESS) return absl::OkStatus();  // lost meanwhile: subscribed on connect
  absl::Status acked = AwaitAck(mid, wait, "subscribe");
  return acked.code() == absl::StatusCode::kUnavailable ? absl::OkStatus() : acked;
}

void MqttClient::Unsubscribe(const std::string& filter) {
  {
    absl::MutexLock lock(&mutex_);
    filters_.erase(filter);
  }
  mosquitto_unsubscribe(mosq_, nullptr, filter.c_str());
}

absl::Status MqttClient::Health() {
  absl::MutexLock lock(&mutex_);
  if (connected_) return absl::OkStatus();
  return absl::UnavailableError("mqtt: not connected to " + options_.broker.url + " as \"" +
                                options_.client_id + "\": " + last_error_);
}

bool MqttClient::WaitConnected(std::chrono::milliseconds wait) {
  absl::MutexLock lock(&mutex_);
  return mutex_.AwaitWithTimeout(absl::Condition(&connected_), absl::FromChrono(wait));
}

void MqttClient::OnConnect(mosquitto*, void* self, int rc) {
  static_cast<MqttClient*>(self)->Connected(rc);
}

void MqttClient::OnDisconnect(mosquitto*, void* self, int rc) {
  if (rc != 0) static_cast<MqttClient*>(self)->Lost("disconnected");
}

void MqttClient::OnPublish(mosquitto*, void* self, int mid) {
  static_cast<MqttClient*>(self)->Acknowledged(mid);
}

void MqttClient::OnSubscribe(mosquitto*, void* self, int mid, int, const int*) {
  static_cast<MqttClient*>(self)->Acknowledged(mid);
}

void MqttClient::OnMessage(mosquitto*, void* self, const mosquitto_message* message) {
  auto* client = static_cast<MqttClient*>(self);
  ReceivedMessage received;
  received.topic = message->topic;
  if (message->payloadlen > 0) {
    received.payload.assign(static_cast<const char*>(message->payload),
                            static_cast<size_t>(message->payloadlen));
  }
  received.retained = message->retain;
  client->handler_(std::move(received));
}

}  // namespace plughost::mqtt
