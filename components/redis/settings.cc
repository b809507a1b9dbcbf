#include "components/redis/settings.h"

#include <cctype>
#include <charconv>

#include "common/equals_ignoring_case.h"

namespace plughost::redis {
namespace {

std::optional<int64_t> ParseInt(const std::string& text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

absl::Status Invalid(const std::string& field, const std::string& value, const char* expected) {
  return absl::InvalidArgumentError("redis metadata " + field + ": " + expected + ", got \"" +
                                    value + "\"");
}

}  // namespace

std::string Lookup(const Metadata& metadata, const std::string& name) {
  if (auto it = metadata.find(name); it != metadata.end()) return it->second;
  for (const auto& [key, value] : metadata) {
    if (EqualsIgnoringCase(key, name)) return value;
  }
  return "";
}

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  if (auto integer = ParseInt(text)) return std::chrono::milliseconds(*integer);
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i) return std::nullopt;
    double number = std::stod(text.substr(start, i - start));
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    if (unit == "h") {
      total_ms += number * 3600000;
    } else if (unit == "m") {
      total_ms += number * 60000;
    } else if (unit == "s") {
      total_ms += number * 1000;
    } else if (unit == "ms") {
      total_ms += number;
    } else if (unit == "us" || unit == "µs") {
      total_ms += number / 1000;
    } else if (unit == "ns") {
      total_ms += number / 1000000;
    } else {
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

absl::StatusOr<RedisSettings> ParseRedisSettings(const Metadata& metadata) {
  RedisSettings settings;
  std::string host = Lookup(metadata, "redisHost");
  if (host.empty()) return absl::InvalidArgumentError("metadata property redisHost is empty");
  if (host.find(',') != std::string::npos) {
    return absl::InvalidArgumentError("redisHost lists several servers; only one is supported");
  }
  std::string port = Lookup(metadata, "redisPort");
  if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    std::string host_port = host.substr(colon + 1);
    if (!port.empty() && port != host_port) {
      return absl::InvalidArgumentError("redis host \"" + host + "\" already contains port " +
                                        host_port + ", but redisPort is set to " + port);
    }
    port = host_port;
    host = host.substr(0, colon);
  }
  settings.host = host;
  if (!port.empty()) {
    auto number = ParseInt(port);
    if (!number || *number <= 0 || *number > 65535) return Invalid("redisPort", port, "a port");
    settings.port = static_cast<int>(*number);
  }
  settings.username = Lookup(metadata, "redisUsername");
  settings.password = Lookup(metadata, "redisPassword");
  if (std::string db = Lookup(metadata, "redisDB"); !db.empty()) {
    auto number = ParseInt(db);
    if (!number || *number < 0) return Invalid("redisDB", db, "a database number");
    settings.db = static_cast<int>(*number);
  }
  for (auto [name, field] : {std::pair{"dialTimeout", &settings.dial_timeout},
                             std::pair{"readTimeout", &settings.read_timeout}}) {
    if (std::string text = Lookup(metadata, name); !text.empty()) {
      auto duration = ParseDuration(text);
      if (!duration || duration->count() <= 0) return Invalid(name, text, "a positive duration");
      *field = *duration;
    }
  }
  if (std::string size = Lookup(metadata, "poolSize"); !size.empty()) {
    auto number = ParseInt(size);
    if (!number || *number <= 0) return Invalid("poolSize", size, "a positive integer");
    settings.pool_size = static_cast<int>(std::min<int64_t>(*number, 64));
  }
  if (Lookup(metadata, "redisType") == "cluster") {
    return absl::InvalidArgumentError(
        "this component does not support connecting to Redis Cluster");
  }
  if (Lookup(metadata, "failover") == "true") {
    return absl::InvalidArgumentError("failover (Sentinel) is not supported");
  }
  if (Lookup(metadata, "enableTLS") == "true") {
    return absl::InvalidArgumentError("enableTLS is not supported");
  }
  return settings;
}

}  // namespace plughost::redis
