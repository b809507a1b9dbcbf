// The metadata of Dapr's pubsub.mqtt3 and bindings.mqtt3, parsed as Dapr parses it: `url`
// (tcp://, mqtt://, ssl://, tls://, mqtts://, tcps://; user and password from the userinfo),
// `consumerID`, `qos`, `retain`, `cleanSession`, `caCert` / `clientCert` / `clientKey` (PEM),
// and for the bindings `topic` and `backOffMaxRetries`.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace plughost::mqtt {

using Metadata = std::map<std::string, std::string>;

struct BrokerSettings {
  std::string host;
  int port = 1883;
  bool tls = false;
  std::string username;
  std::string password;
  std::string ca_cert;      // PEM text
  std::string client_cert;  // PEM text
  std::string client_key;   // PEM text
  std::string url;          // as given, for messages
};

struct MqttSettings {
  BrokerSettings broker;
  std::string consumer_id;
  int qos = 1;
  bool retain = false;
  bool clean_session = false;
  std::string topic;             // bindings only
  int back_off_max_retries = 0;  // bindings only; -1: unlimited
};

// The value of `name`, or of its case-insensitive twin; empty if absent.
std::string Lookup(const Metadata& metadata, const std::string& name);

// Parses "true"/"false" (and 1/0, case-insensitive) as Go's strconv.ParseBool does.
absl::StatusOr<bool> ParseBool(const std::string& text);

// INVALID_ARGUMENT naming the field: a missing url or consumerID, an unknown scheme, a qos
// above 7 (Dapr's bound; the broker takes 0..2), a bad boolean or integer.
absl::StatusOr<MqttSettings> ParseMqttSettings(const Metadata& metadata);

}  // namespace plughost::mqtt
