// Native interfaces of input and output bindings (Dapr's component-protocol types).
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

// Called once per event; the receiver must call `reply` exactly once with the app's response
// data (OK) or the app's error, which goes back to the component as the event's ack.
using BindingEventHandler =
    std::function<void(bindingspb::ReadResponse event, Callback<std::string> reply)>;

class InputBinding : public Component {
 public:
  // Delivers events to `handler` until the subscription is closed.
  virtual std::unique_ptr<Subscription> Read(BindingEventHandler handler) = 0;
};

class OutputBinding : public Component {
 public:
  virtual void Invoke(bindingspb::InvokeRequest request, const CallOptions& options,
                      Callback<bindingspb::InvokeResponse> done) = 0;
  // The operations the binding supports (known after Init).
  virtual std::vector<std::string> Operations() const = 0;
};

}  // namespace plughost
