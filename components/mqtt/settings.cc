#include "components/mqtt/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace plughost::mqtt {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

absl::StatusOr<int> ParseInt(const std::string& name, const std::string& text) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return absl::InvalidArgumentError("mqtt: invalid " + name + " \"" + text +
                                      "\": expected an integer");
  }
  return value;
}

// Percent-decoding of the URL's userinfo (a password may carry reserved characters).
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (error == std::errc() && end == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

absl::StatusOr<BrokerSettings> ParseUrl(const std::string& url) {
  BrokerSettings broker;
  broker.url = url;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return absl::InvalidArgumentError("mqtt: invalid url \"" + url +
                                      "\": expected scheme://host:port, e.g. tcp://localhost:1883");
  }
  std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme == "tcp" || scheme == "mqtt") {
    broker.tls = false;
  } else if (scheme == "ssl" || scheme == "tls" || scheme == "mqtts" || scheme == "tcps") {
    broker.tls = true;
    broker.port = 8883;
  } else {
    return absl::InvalidArgumentError("mqtt: invalid url \"" + url + "\": unsupported scheme " +
                                      scheme + " (tcp, mqtt, ssl, tls, mqtts, tcps)");
  }
  std::string rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('/'));
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    broker.username = Unescape(userinfo.substr(0, colon));
    if (colon != std::string::npos) broker.password = Unescape(userinfo.substr(colon + 1));
  }
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {  // [ipv6]:port
    size_t close = rest.find(']');
    if (close == std::string::npos) return absl::InvalidArgumentError("mqtt: invalid url " + url);
    broker.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    broker.host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  } else {
    broker.host = rest;
  }
  if (broker.host.empty())
    return absl::InvalidArgumentError("mqtt: invalid url " + url + ": no host");
  if (!port_text.empty()) {
    auto port = ParseInt("url port", port_text);
    if (!port.ok() || *port <= 0 || *port > 65535) {
      return absl::InvalidArgumentError("mqtt: invalid url " + url + ": bad port");
    }
    broker.port = *port;
  }
  return broker;
}

}  // namespace

std::string Lookup(const Metadata& metadata, const std::string& name) {
  if (auto it = metadata.find(name); it != metadata.end()) return it->second;
  const std::string lower = Lower(name);
  for (const auto& [key, value] : metadata) {
    if (Lower(key) == lower) return value;
  }
  return "";
}

absl::StatusOr<bool> ParseBool(const std::string& text) {
  const std::string lower = Lower(text);
  if (lower == "true" || lower == "1" || lower == "t") return true;
  if (lower == "false" || lower == "0" || lower == "f") return false;
  return absl::InvalidArgumentError("expected true or false, got \"" + text + "\"");
}

absl::StatusOr<MqttSettings> ParseMqttSettings(const Metadata& metadata) {
  MqttSettings settings;
  std::string url = Lookup(metadata, "url");
  if (url.empty()) return absl::InvalidArgumentError("mqtt: missing url");
  auto broker = ParseUrl(url);
  if (!broker.ok()) return broker.status();
  settings.broker = *broker;
  settings.broker.ca_cert = Lookup(metadata, "caCert");
  settings.broker.client_cert = Lookup(metadata, "clientCert");
  settings.broker.client_key = Lookup(metadata, "clientKey");
  settings.consumer_id = Lookup(metadata, "consumerID");
  if (settings.consumer_id.empty()) return absl::InvalidArgumentError("mqtt: missing consumerID");
  if (std::string qos = Lookup(metadata, "qos"); !qos.empty()) {
    auto value = ParseInt("qos", qos);
    if (!value.ok() || *value < 0 || *value > 7) {
      return absl::InvalidArgumentError("mqtt invalid qos " + qos);
    }
    settings.qos = std::min(*value, 2);
  }
  for (auto [name, field] : {std::pair{"retain", &settings.retain},
                             std::pair{"cleanSession", &settings.clean_session}}) {
    if (std::string text = Lookup(metadata, name); !text.empty()) {
      auto value = ParseBool(text);
      if (!value.ok()) {
        return absl::InvalidArgumentError(std::string("mqtt invalid ") + name + " " + text);
      }
      *field = *value;
    }
  }
  settings.topic = Lookup(metadata, "topic");
  if (std::string retries = Lookup(metadata, "backOffMaxRetries"); !retries.empty()) {
    auto value = ParseInt("backOffMaxRetries", retries);
    if (!value.ok() || *value < -1) {
      return absl::InvalidArgumentError("mqtt: invalid backOffMaxRetries " + retries);
    }
    settings.back_off_max_retries = *value;
  }
  return settings;
}

}  // namespace plughost::mqtt
