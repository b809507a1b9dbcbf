#include "host/state/state_keys.h"

#include <fmt/format.h>

#include <algorithm>

namespace plughost {
namespace {

absl::Status CheckNoSeparator(std::string_view text) {
  if (text.find(kKeySeparator) != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("input key/keyPrefix '{}' can't contain '{}'", text, kKeySeparator));
  }
  return absl::OkStatus();
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

}  // namespace

absl::StatusOr<std::string> StateKeyPrefix(const std::map<std::string, std::string>& metadata,
                                           std::string_view store_name, std::string_view app_id) {
  std::string strategy = "appid";
  for (const auto& [key, value] : metadata) {
    // Dapr matches the metadata key case-insensitively and lower-cases the strategy.
    if (Lower(key) == "keyprefix") {
      strategy = Lower(value);
      break;
    }
  }
  if (auto status = CheckNoSeparator(strategy); !status.ok()) return status;
  if (strategy == "none") return std::string();
  if (strategy == "name") return std::string(store_name);
  if (strategy == "appid") return std::string(app_id);
  return strategy;
}

absl::StatusOr<std::string> PrefixedStateKey(std::string_view prefix, std::string_view key) {
  if (auto status = CheckNoSeparator(key); !status.ok()) return status;
  if (prefix.empty()) return std::string(key);
  std::string full;
  full.reserve(prefix.size() + kKeySeparator.size() + key.size());
  full.append(prefix).append(kKeySeparator).append(key);
  return full;
}

std::string_view OriginalStateKey(std::string_view stored_key) {
  auto pos = stored_key.find(kKeySeparator);
  if (pos == std::string_view::npos) return stored_key;
  auto rest = stored_key.substr(pos + kKeySeparator.size());
  // Dapr splits into at most three parts and keeps the second.
  auto next = rest.find(kKeySeparator);
  return next == std::string_view::npos ? rest : rest.substr(0, next);
}

}  // namespace plughost
