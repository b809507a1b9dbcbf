#include "host/api/app_connection_properties.h"

#include <charconv>
#include <string_view>

#include "host/api/go_duration.h"

namespace plughost {

namespace {

// daprd's --app-channel-address default, where an app behind --app-port listens.
constexpr std::string_view kDefaultChannelAddress = "127.0.0.1";

// Splits "host:port" / "[v6]:port"; false when `address` has no numeric port 1-65535.
bool SplitHostPort(std::string_view address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view digits = address.substr(colon + 1);
  int value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || value < 1 ||
      value > 65535) {
    return false;
  }
  std::string_view name = address.substr(0, colon);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  } else if (name.find(':') != std::string_view::npos) {
    return false;  // "unix:/a:1" or a bare IPv6 address: not host:port
  }
  *host = std::string(name);
  *port = value;
  return true;
}

}  // namespace

dapr::proto::runtime::v1::AppConnectionProperties AppConnectionPropertiesFor(
    const AppConnectionSettings& settings) {
  dapr::proto::runtime::v1::AppConnectionProperties properties;
  properties.set_protocol(settings.protocol);
  std::string host(kDefaultChannelAddress);
  int port = 0;
  if (!settings.app_address.empty() && !SplitHostPort(settings.app_address, &host, &port)) {
    host = settings.app_address;
  }
  properties.set_channel_address(host);
  properties.set_port(port);
  if (settings.max_concurrency > 0) properties.set_max_concurrency(settings.max_concurrency);
  if (settings.health_check) {
    auto* health = properties.mutable_health();
    // daprd leaves the path out for gRPC apps, which are probed by their health service.
    if (settings.protocol == "http") health->set_health_check_path(settings.health_check_path);
    health->set_health_probe_interval(GoDuration(settings.health.interval));
    health->set_health_probe_timeout(GoDuration(settings.health.timeout));
    health->set_health_threshold(settings.health.threshold);
  }
  return properties;
}

}  // namespace plughost
