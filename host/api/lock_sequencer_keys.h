// How lock resource ids and sequencer keys are namespaced before a component sees them. The
// prefix is the instance's keyPrefix strategy ("appid" by default, "name", "none", or a
// literal), already resolved into InstanceInfo::key_prefix; an empty prefix means none.
//
//   Dapr lock       lock||<prefix>||<resource>        lock||<resource> without a prefix
//   Layotto lock    lock|||<prefix>||<resource>       lock|||<resource> without a prefix
//   Layotto seq.    sequencer|||<prefix>||<key>       sequencer|||<key> without a prefix
//
// Dapr's and Layotto's schemes differ, so an app on one API never shares locks with an app on
// the other. Layotto itself leaves a lock id bare when its strategy is "appid" and the app id is
// empty; here every Layotto lock carries "lock|||", so the scheme has no exception. Ids and keys
// containing "||" are refused, as both runtimes do; the app only ever sees its own ids.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plughost {

absl::StatusOr<std::string> DaprLockKey(std::string_view prefix, std::string_view resource_id);
absl::StatusOr<std::string> LayottoLockKey(std::string_view prefix, std::string_view resource_id);
absl::StatusOr<std::string> LayottoSequencerKey(std::string_view prefix, std::string_view key);

}  // namespace plughost
