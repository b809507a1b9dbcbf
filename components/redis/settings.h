// The connection metadata of Dapr's Redis components (redisHost, redisPort, redisUsername,
// redisPassword, redisDB, dialTimeout, readTimeout, writeTimeout, redisMaxRetries / maxRetries,
// poolSize), parsed the way Dapr parses it: durations are Go durations ("5s", "100ms") or bare
// integers of milliseconds.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace plughost::redis {

using Metadata = std::map<std::string, std::string>;

struct RedisSettings {
  std::string host = "localhost";
  int port = 6379;
  std::string username;
  std::string password;
  int db = 0;
  std::chrono::milliseconds dial_timeout{5000};
  // Per reply; also bounds a call that finds the server gone without a reset.
  std::chrono::milliseconds read_timeout{3000};
  int pool_size = 4;
};

// Fails (INVALID_ARGUMENT, naming the field) on a missing redisHost, a bad number or duration,
// or redisType: cluster, failover or enableTLS, which this component does not implement.
absl::StatusOr<RedisSettings> ParseRedisSettings(const Metadata& metadata);

// A Go duration ("1m30s", "250ms", "2s") or a bare integer of milliseconds; nullopt if neither.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text);

// The value of `name` in `metadata`, or of its case-insensitive twin; empty if absent.
std::string Lookup(const Metadata& metadata, const std::string& name);

}  // namespace plughost::redis
