// An app's state items (dapr.proto.common.v1.StateItem) as the component protocol's requests,
// keys prefixed with the store's key prefix. Shared by the state API and by the states an app
// returns from an input binding event (host/app_callback).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "dapr/proto/common/v1/common.pb.h"
#include "host/components/state_store.h"

namespace plughost {

// The two protocols declare the same enums separately; their numbers are identical.
statepb::StateOptions ToComponentOptions(const ::dapr::proto::common::v1::StateOptions& options);

// Builds the component's SetRequest from `item`, moving its value bytes out. Fails
// (INVALID_ARGUMENT) on a key the prefixing refuses.
absl::Status ToSetRequest(const std::string& prefix, ::dapr::proto::common::v1::StateItem& item,
                          statepb::SetRequest* out);

absl::Status ToDeleteRequest(const std::string& prefix,
                             const ::dapr::proto::common::v1::StateItem& item,
                             statepb::DeleteRequest* out);

}  // namespace plughost
