// Native interfaces of input and output bindings. Messages are Dapr's component-protocol types,
// so a pluggable call forwards without re-encoding.
//
// A socket serving both InputBinding and OutputBinding gives one type ("bindings.<name>") with
// two factories; the host creates one instance of each kind under the configured name.
//
// Error convention for Invoke (what implementations report, whatever their backend):
//   INVALID_ARGUMENT  a request field or metadata is missing or refused (e.g. a path escaping
//                     the binding's root)
//   NOT_FOUND         the addressed item does not exist
//   UNIMPLEMENTED     the operation is not one of Operations()
// The app-facing API wraps every failure in Dapr's "error invoking output binding" message.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/bindings.pb.h"
#include "host/components/component.h"
#include "host/components/subscription.h"

namespace plughost {

namespace bindingspb = ::dapr::proto::components::v1;

// The capability strings Dapr's metadata API reports for bindings; Features() returns them.
inline constexpr char kFeatureInputBinding[] = "INPUT_BINDING";
inline constexpr char kFeatureOutputBinding[] = "OUTPUT_BINDING";

// Called once per event, on any thread; must not block. The receiver calls `reply` exactly once:
// OK with the app's response data (sent back as the event's ack), or the app's error (sent back
// as the ack's error, after which the component may redeliver). `reply` may be called after the
// subscription is closed; the ack is then dropped.
using BindingEventHandler =
    std::function<void(bindingspb::ReadResponse event, Callback<std::string> reply)>;

class InputBinding : public Component {
 public:
  // Delivers events to `handler` until the subscription is closed; a component that goes away
  // and comes back is read again without the caller doing anything. Do not call Close() from
  // inside `handler`.
  virtual std::unique_ptr<Subscription> Read(BindingEventHandler handler) = 0;
};

class OutputBinding : public Component {
 public:
  virtual void Invoke(bindingspb::InvokeRequest request, const CallOptions& options,
                      Callback<bindingspb::InvokeResponse> done) = 0;
  // The operations the binding supports (known after Init), in the component's order.
  virtual std::vector<std::string> Operations() const = 0;
};

}  // namespace plughost
