// Delivers input-binding events to the app over its callback server, as daprd does in gRPC
// mode: ask the app which bindings it handles (AppCallback.ListInputBindings, retried with
// backoff while the app is unreachable), then Read every listed input binding and pass each
// event to OnBindingEvent(name, data, metadata). The app's response data goes back to the
// component as the event's ack; an app error (or an unreachable app) goes back as the ack's
// error, so the component may redeliver.
#pragma once

#include <chrono>
#include <memory>

#include "host/app_callback/delivery_context.h"

namespace plughost {

struct BindingDeliveryOptions {
  // Bound on each OnBindingEvent call.
  std::chrono::milliseconds callback_timeout{std::chrono::seconds(60)};
  // Bound on each ListInputBindings attempt.
  std::chrono::milliseconds list_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds first_retry{100};
  std::chrono::milliseconds max_retry{5000};
};

class BindingDelivery {
 public:
  // `context` (its instances and app_channel) must outlive this object.
  BindingDelivery(const DeliveryContext* context, BindingDeliveryOptions options = {});
  ~BindingDelivery();  // stops, without waiting for in-flight events

  // Returns at once; the listing and the reads go on in gRPC's callbacks. A no-op without an
  // app channel.
  void Start();
  // Stops reading (no event is delivered after this returns) and waits, up to `drain`, for
  // events already at the app, so their acks reach the components.
  void Stop(std::chrono::milliseconds drain = std::chrono::seconds(2));

 private:
  class State;
  std::shared_ptr<State> state_;
};

}  // namespace plughost
