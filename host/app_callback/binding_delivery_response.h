// What the host does with the parts of an app's BindingEventResponse other than its data
// (the data is the event's ack), as daprd does:
//   store_name + states  the states are saved into that state store, keys prefixed as SaveState
//                        prefixes them (so the app reads them back with GetState); in the
//                        background.
//   to                   the response data goes to each named output binding with operation
//                        "create": SEQUENTIAL (the default) one after the other, stopping at the
//                        first failure, `done` running after the last; PARALLEL all at once,
//                        `done` running at once.
// Nothing here fails the event: problems are logged and the ack stands, as in Dapr.
#pragma once

#include "absl/functional/any_invocable.h"
#include <string>

#include "dapr/proto/runtime/v1/appcallback.pb.h"
#include "host/app_callback/delivery_context.h"

namespace plughost {

// Calls `done` exactly once, possibly before returning. Needs `context` only until it returns.
void ApplyBindingEventResponse(const DeliveryContext& context, const std::string& binding_name,
                               ::dapr::proto::runtime::v1::BindingEventResponse response,
                               absl::AnyInvocable<void()> done);

}  // namespace plughost
