#include "host/app_callback/app_deliveries.h"

#include <utility>

namespace plughost {

AppDeliveries::AppDeliveries(DeliveryContext context, TopicDeliveryOptions topic_options)
    : context_(std::move(context)), topic_options_(std::move(topic_options)) {}

AppDeliveries::~AppDeliveries() = default;

void AppDeliveries::Start() {
  std::shared_ptr<TopicDelivery> topics;
  std::shared_ptr<BindingDelivery> bindings;
  {
    absl::MutexLock lock(&mutex_);
    if (stopped_ || topics_) return;
    topics_ = std::make_shared<TopicDelivery>(&context_, topic_options_);
    bindings_ = std::make_shared<BindingDelivery>(&context_);
    topics = topics_;
    bindings = bindings_;
  }
  // Input-binding events first, then pub/sub, as the host always started them.
  bindings->Start();
  topics->Start();
}

void AppDeliveries::Pause(std::chrono::milliseconds drain) { StopRunning(drain, false); }

void AppDeliveries::Stop(std::chrono::milliseconds drain) { StopRunning(drain, true); }

void AppDeliveries::StopRunning(std::chrono::milliseconds drain, bool for_good) {
  std::shared_ptr<TopicDelivery> topics;
  std::shared_ptr<BindingDelivery> bindings;
  {
    absl::MutexLock lock(&mutex_);
    if (for_good) stopped_ = true;
    topics = std::move(topics_);
    bindings = std::move(bindings_);
  }
  // Outside the lock: both wait for the events at the app.
  if (bindings) bindings->Stop();
  if (topics) topics->Stop(drain);
}

void AppDeliveries::InstanceAdded(ComponentKind kind, const std::string& name) {
  std::shared_ptr<TopicDelivery> topics;
  {
    absl::MutexLock lock(&mutex_);
    topics = topics_;
  }
  if (topics) topics->InstanceAdded(kind, name);
}

}  // namespace plughost
