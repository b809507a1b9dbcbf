// Dapr's state key prefixing: apps name keys; stores see "<prefix>||<key>", where the prefix
// comes from the store's "keyPrefix" metadata: "appid" (default; no prefix without an app id),
// "name" (the store's name), "none", or any other literal.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plughost {

inline constexpr std::string_view kKeySeparator = "||";

// The prefix for a store, or an error when the configured prefix contains "||".
absl::StatusOr<std::string> StateKeyPrefix(const std::map<std::string, std::string>& metadata,
                                           std::string_view store_name, std::string_view app_id);

// "<prefix>||<key>" (or `key` when prefix is empty). Keys containing "||" are refused, as in Dapr.
absl::StatusOr<std::string> PrefixedStateKey(std::string_view prefix, std::string_view key);

// The app's key from a store key ("app||k" -> "k"; a key without separator is returned as is).
std::string_view OriginalStateKey(std::string_view stored_key);

}  // namespace plughost
