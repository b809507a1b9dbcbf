#include "host/api/lock_sequencer_keys.h"

#include <fmt/format.h>

#include "host/state/state_keys.h"

namespace plughost {
namespace {

// "<api><api_separator>[<prefix>||]<id>"
absl::StatusOr<std::string> Namespaced(std::string_view api, std::string_view api_separator,
                                       std::string_view prefix, std::string_view id) {
  if (id.find(kKeySeparator) != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("input key/keyPrefix '{}' can't contain '{}'", id, kKeySeparator));
  }
  std::string key;
  key.reserve(api.size() + api_separator.size() + prefix.size() + kKeySeparator.size() + id.size());
  key.append(api).append(api_separator);
  if (!prefix.empty()) key.append(prefix).append(kKeySeparator);
  key.append(id);
  return key;
}

}  // namespace

absl::StatusOr<std::string> DaprLockKey(std::string_view prefix, std::string_view resource_id) {
  return Namespaced("lock", "||", prefix, resource_id);
}

absl::StatusOr<std::string> LayottoLockKey(std::string_view prefix, std::string_view resource_id) {
  return Namespaced("lock", "|||", prefix, resource_id);
}

absl::StatusOr<std::string> LayottoSequencerKey(std::string_view prefix, std::string_view key) {
  return Namespaced("sequencer", "|||", prefix, key);
}

}  // namespace plughost
