// The app's two deliveries, pub/sub messages (TopicDelivery) and input-binding events
// (BindingDelivery), as one switch the host turns on and off: started once the host serves
// (or, with app health checks, once the app is healthy), paused while the app is unhealthy and
// started afresh when it is healthy again (as daprd stops and restarts the app's subscriptions
// and input bindings), and stopped for good at shutdown.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "host/app_callback/delivery_context.h"
#include "host/app_callback/binding_delivery.h"
#include "host/app_callback/topic_delivery.h"
#include "host/components/kind.h"

namespace plughost {

class AppDeliveries {
 public:
  // What `context` points to must outlive this object; `topic_options` serve every start.
  AppDeliveries(DeliveryContext context, TopicDeliveryOptions topic_options);
  ~AppDeliveries();  // stops, without waiting for in-flight events

  // Starts both deliveries unless they run or the host stopped them for good. Returns at once.
  void Start();
  // Stops both (no event reaches the app after this returns; events at the app get up to
  // `drain` to be answered); Start() starts them again, listing the app's topics and bindings
  // anew. Blocks up to the drain: call it from a thread of its own, never a gRPC reaction.
  void Pause(std::chrono::milliseconds drain);
  // As Pause, for good.
  void Stop(std::chrono::milliseconds drain);
  // A pubsub created after startup (hot-plug); ignored while paused (Start lists everything).
  void InstanceAdded(ComponentKind kind, const std::string& name);

 private:
  void StopRunning(std::chrono::milliseconds drain, bool for_good);

  const DeliveryContext context_;
  const TopicDeliveryOptions topic_options_;
  absl::Mutex mutex_;
  std::shared_ptr<TopicDelivery> topics_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<BindingDelivery> bindings_ ABSL_GUARDED_BY(mutex_);
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace plughost
