// The last steps TryLock and Unlock share on both APIs: the store the API's own checks found,
// and its key for the app's resource id. Each API keeps its checks, its key scheme
// (lock_sequencer_keys.h) and its words for a refused id.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "host/api/metered_unary_reactor.h"
#include "host/registry/instance_table.h"

namespace plughost {

struct LockTarget {
  InstancePtr store;
  std::string resource_id;  // the store's key
};

// `store` (null when the checks failed, with `error`) and its key for `resource_id`, made by
// `key_of(prefix, id)`; or nullopt once `reactor` is finished, with `error` or with what
// `refused` makes of the key's refusal.
template <typename KeyOf, typename Refused>
std::optional<LockTarget> LockTargetOrFinish(MeteredUnaryReactor* reactor, InstancePtr store,
                                             const grpc::Status& error,
                                             std::string_view resource_id, KeyOf key_of,
                                             Refused refused) {
  if (!store) {
    reactor->Finish(error);
    return std::nullopt;
  }
  reactor->NoteFound(store->name);
  auto key = key_of(store->key_prefix, resource_id);
  if (!key.ok()) {
    reactor->Finish(refused(key.status()));
    return std::nullopt;
  }
  return LockTarget{std::move(store), std::move(*key)};
}

}  // namespace plughost
