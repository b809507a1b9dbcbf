#include "host/app_callback/topic_delivery.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "host/api/cloud_events.h"
#include "host/common/log.h"
#include "host/components/pubsub.h"
#include "host/ops/metrics.h"

namespace plughost {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using Clock = std::chrono::steady_clock;

// At shutdown, how long cancelled event calls get to be answered (gRPC answers them at once)
// before the streams their rejections go out on are closed.
constexpr auto kCancelledAnswerWait = std::chrono::milliseconds(500);

// Delivery failures (the app down, timing out) are logged at most this often per subscription.
constexpr auto kFailureLogInterval = std::chrono::seconds(5);

// Where one subscription's events go.
struct Route {
  std::string pubsub_name;
  std::string topic;
  std::string path;
  bool raw_payload = false;
};

// The path of a subscription's events. Routing rules carry CEL match expressions this host does
// not evaluate: events take the default route, else the first rule's path.
std::string PathOf(const rt::TopicSubscription& subscription, bool* ignored_rules) {
  const auto& routes = subscription.routes();
  *ignored_rules = false;
  for (const auto& rule : routes.rules()) {
    if (!rule.match().empty()) *ignored_rules = true;
  }
  if (!routes.default_().empty()) return routes.default_();
  if (routes.rules_size() > 0) return routes.rules(0).path();
  return "";
}

rt::PubsubSubscription ForMetadata(const rt::TopicSubscription& subscription) {
  rt::PubsubSubscription listed;
  listed.set_pubsub_name(subscription.pubsub_name());
  listed.set_topic(subscription.topic());
  listed.mutable_metadata()->insert(subscription.metadata().begin(), subscription.metadata().end());
  for (const auto& rule : subscription.routes().rules()) {
    auto* out = listed.mutable_rules()->add_rules();
    out->set_match(rule.match());
    out->set_path(rule.path());
  }
  if (!subscription.routes().default_().empty()) {
    listed.mutable_rules()->add_rules()->set_path(subscription.routes().default_());
  }
  listed.set_dead_letter_topic(subscription.dead_letter_topic());
  listed.set_type(rt::PROGRAMMATIC);
  return listed;
}

}  // namespace

class TopicDelivery::State : public std::enable_shared_from_this<State> {
 public:
  State(ApiContext* context, TopicDeliveryOptions options)
      : context_(context), options_(options), retry_delay_(options.first_retry) {}

  bool HasApp() const { return context_->app_channel != nullptr; }

  void List() {
    auto call = std::make_shared<ListCall>();
    call->context = context_->app_channel->NewContext(options_.list_timeout);
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      list_call_ = call;
    }
    context_->app_channel->stub().async()->ListTopicSubscriptions(
        call->context.get(), &call->request, &call->response,
        [self = shared_from_this(), call](grpc::Status status) { self->Listed(call, status); });
  }

  void Stop(std::chrono::milliseconds drain) {
    std::shared_ptr<ListCall> list_call;
    std::unique_ptr<grpc::Alarm> retry_timer;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;  // paused: from here on Deliver holds messages instead of sending them
      list_call = std::move(list_call_);
      retry_timer = std::move(retry_timer_);
    }
    if (list_call) list_call->context->TryCancel();
    retry_timer.reset();  // cancels a pending retry

    // Drain with the streams still open, so the answers of events at the app are acked.
    std::vector<std::shared_ptr<EventCall>> unanswered;
    {
      std::unique_lock lock(mutex_);
      if (!subscriptions_.empty()) {
        PH_LOG_INFO("pubsub", "subscriptions paused: {} event(s) at the app, waiting up to {} ms "
                    "for their answers", in_flight_.size(), drain.count());
      }
      idle_.wait_for(lock, drain, [&] { return in_flight_.empty(); });
      unanswered.assign(in_flight_.begin(), in_flight_.end());
    }
    if (!unanswered.empty()) {
      // Cancelled calls are answered with CANCELLED at once, which rejects their events.
      for (auto& call : unanswered) call->context->TryCancel();
      std::unique_lock lock(mutex_);
      idle_.wait_for(lock, kCancelledAnswerWait, [&] { return in_flight_.empty(); });
    }

    // No delivery starts once these return.
    std::vector<Subscribed> subscriptions;
    {
      std::lock_guard lock(mutex_);
      subscriptions.swap(subscriptions_);
    }
    for (auto& subscribed : subscriptions) {
      subscribed.subscription->Close();
      context_->subscriptions.Remove(subscribed.registration);
    }
    // The held messages were never acked; their streams are gone, so the components keep them
    // for whoever subscribes next. Settling them here only ends their tracking.
    std::vector<StatusCallback> held;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      held.swap(held_);
    }
    for (auto& ack : held) SettleUnsent(ack);
  }

 private:
  struct ListCall {
    std::unique_ptr<grpc::ClientContext> context;
    google::protobuf::Empty request;
    rt::ListTopicSubscriptionsResponse response;
  };

  struct EventCall {
    std::unique_ptr<grpc::ClientContext> context;
    rt::TopicEventRequest request;
    rt::TopicEventResponse response;
    StatusCallback ack;
  };

  struct Subscribed {
    std::unique_ptr<Subscription> subscription;
    ActiveSubscriptions::Id registration;
  };

  void Listed(const std::shared_ptr<ListCall>& call, const grpc::Status& status) {
    {
      std::lock_guard lock(mutex_);
      if (list_call_ == call) list_call_.reset();
      if (stopped_) return;
    }
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      PH_LOG_INFO("pubsub", "the app at {} lists no topic subscriptions",
                  context_->app_channel->address());
      for (const auto& subscription : options_.declarative) Subscribe(subscription);
      return;
    }
    if (!status.ok()) {
      RetryList(status);
      return;
    }
    PH_LOG_INFO("pubsub", "the app at {} subscribes to {} topic(s)",
                context_->app_channel->address(), call->response.subscriptions_size());
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& subscription : options_.declarative) {
      if (seen.emplace(subscription.pubsub_name(), subscription.topic()).second) {
        Subscribe(subscription);
      }
    }
    for (const auto& subscription : call->response.subscriptions()) {
      if (!seen.emplace(subscription.pubsub_name(), subscription.topic()).second) {
        PH_LOG_WARN("pubsub", "the app lists topic '{}' of pubsub '{}' twice; subscribed once",
                    subscription.topic(), subscription.pubsub_name());
        continue;
      }
      Subscribe(subscription);
    }
  }

  // The app is not reachable (yet): ask again after a backoff, until it answers or we stop.
  void RetryList(const grpc::Status& status) {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    auto delay = retry_delay_;
    retry_delay_ = std::min(retry_delay_ * 2, options_.max_retry);
    if (list_failures_++ == 0 || delay == options_.max_retry) {
      // The first failure, then once per capped interval: an app that starts late is normal.
      PH_LOG_WARN("pubsub",
                  "cannot list the app's topic subscriptions at {} ({}: {}); "
                  "retrying in {} ms",
                  context_->app_channel->address(), static_cast<int>(status.error_code()),
                  status.error_message(), delay.count());
    }
    retry_timer_ = std::make_unique<grpc::Alarm>();
    retry_timer_->Set(std::chrono::system_clock::now() + delay,
                      [weak = weak_from_this()](bool fired) {
                        if (!fired) return;
                        if (auto self = weak.lock()) self->List();
                      });
  }

 public:
  // A pubsub created after the app listed its topics (a hot-plugged socket): subscribe the
  // topics that were waiting for it.
  void InstanceAdded(const std::string& name) {
    std::vector<rt::TopicSubscription> ready;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      auto waiting = std::stable_partition(
          waiting_.begin(), waiting_.end(),
          [&](const rt::TopicSubscription& s) { return s.pubsub_name() != name; });
      ready.assign(std::make_move_iterator(waiting), std::make_move_iterator(waiting_.end()));
      waiting_.erase(waiting, waiting_.end());
    }
    for (const auto& subscription : ready) Subscribe(subscription);
  }

 private:

  // From a Subscription resource (declarative wins over the app's listing of the same topic).
  bool IsDeclarative(const rt::TopicSubscription& subscription) const {
    return std::any_of(options_.declarative.begin(), options_.declarative.end(),
                       [&](const rt::TopicSubscription& declared) {
                         return declared.pubsub_name() == subscription.pubsub_name() &&
                                declared.topic() == subscription.topic();
                       });
  }

  void Subscribe(const rt::TopicSubscription& subscription) {
    auto instance = context_->instances->Find(ComponentKind::kPubSub, subscription.pubsub_name());
    if (!instance) {
      PH_LOG_WARN("pubsub",
                  "the app subscribes to topic '{}' of pubsub '{}', but no such pubsub "
                  "is configured; subscribed if one appears",
                  subscription.topic(), subscription.pubsub_name());
      std::lock_guard lock(mutex_);
      if (!stopped_) waiting_.push_back(subscription);
      return;
    }
    if (subscription.topic().empty()) {
      PH_LOG_WARN("pubsub", "the app subscribes to pubsub '{}' without a topic; skipped",
                  subscription.pubsub_name());
      return;
    }
    auto route = std::make_shared<Route>();
    route->pubsub_name = subscription.pubsub_name();
    route->topic = subscription.topic();
    bool ignored_rules = false;
    route->path = PathOf(subscription, &ignored_rules);
    if (ignored_rules) {
      PH_LOG_WARN("pubsub",
                  "topic '{}' of pubsub '{}': routing rules with match expressions are "
                  "not evaluated; every event goes to path '{}'",
                  route->topic, route->pubsub_name, route->path);
    }
    auto raw = cloud_events::IsRawPayload(subscription.metadata());
    if (!raw.ok()) {
      PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': {}; treated as false", route->topic,
                  route->pubsub_name, raw.status().message());
    }
    route->raw_payload = raw.ok() && *raw;

    pubsubpb::Topic topic;
    topic.set_name(subscription.topic());
    topic.mutable_metadata()->insert(subscription.metadata().begin(),
                                     subscription.metadata().end());
    auto listed = ForMetadata(subscription);
    if (IsDeclarative(subscription)) listed.set_type(rt::DECLARATIVE);
    auto registration = context_->subscriptions.Add(std::move(listed));
    auto handle = instance->As<PubSub>()->Subscribe(
        std::move(topic), [weak = weak_from_this(), route](pubsubpb::PullMessagesResponse message,
                                                           StatusCallback ack) {
          auto self = weak.lock();
          if (!self) {
            ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
            return;
          }
          self->Deliver(route, std::move(message), std::move(ack));
        });
    bool stopped = false;
    {
      std::lock_guard lock(mutex_);
      stopped = stopped_;
      if (!stopped) subscriptions_.push_back(Subscribed{std::move(handle), registration});
    }
    if (stopped) {
      handle->Close();
      context_->subscriptions.Remove(registration);
      return;
    }
    PH_LOG_INFO("pubsub", "delivering topic '{}' of pubsub '{}' to the app{}", route->topic,
                route->pubsub_name, route->path.empty() ? "" : " at path " + route->path);
  }

  // A message from a component, on one of its threads.
  void Deliver(const std::shared_ptr<const Route>& route_ptr,
               pubsubpb::PullMessagesResponse message, StatusCallback ack) {
    const Route& route = *route_ptr;
    if (options_.lag != nullptr) ack = Tracked(route_ptr, std::move(ack));
    if (Paused()) {
      Hold(std::move(ack));
      return;
    }
    auto call = std::make_shared<EventCall>();
    cloud_events::Received received{route.pubsub_name, route.topic, route.path, route.raw_payload};
    auto decoded = cloud_events::ToTopicEvent(message, received, &call->request);
    if (!decoded.ok()) {
      PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': cannot deliver message {}: {}", route.topic,
                  route.pubsub_name, message.id(), decoded.status().message());
      ack(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       std::string(decoded.status().message())));
      return;
    }
    if (*decoded == cloud_events::Decoded::kExpired) {
      PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': dropping expired event {}", route.topic,
                  route.pubsub_name, call->request.id());
      ack(grpc::Status::OK);
      return;
    }
    call->context = context_->app_channel->NewContext(options_.callback_timeout);
    call->ack = std::move(ack);
    bool stopped = false;
    {
      std::lock_guard lock(mutex_);
      stopped = stopped_;
      if (!stopped) in_flight_.insert(call);
    }
    if (stopped) {
      Hold(std::move(call->ack));
      return;
    }
    context_->app_channel->stub().async()->OnTopicEvent(
        call->context.get(), &call->request, &call->response,
        [self = shared_from_this(), call](grpc::Status status) { self->Answered(call, status); });
  }

  void Answered(const std::shared_ptr<EventCall>& call, const grpc::Status& status) {
    const auto& event = call->request;
    grpc::Status ack = grpc::Status::OK;
    if (status.ok()) {
      switch (call->response.status()) {
        case rt::TopicEventResponse::SUCCESS:
          break;
        case rt::TopicEventResponse::DROP:
          PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': the app dropped event {}",
                      event.topic(), event.pubsub_name(), event.id());
          break;
        case rt::TopicEventResponse::RETRY:
          ack =
              grpc::Status(grpc::StatusCode::ABORTED, "the app asked for the event to be retried");
          break;
        default:
          ack = grpc::Status(grpc::StatusCode::ABORTED,
                             "unknown status returned from app while processing pub/sub event");
          break;
      }
    } else if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      // An app without OnTopicEvent cannot take the event now or later.
      PH_LOG_WARN("pubsub",
                  "topic '{}' of pubsub '{}': the app does not implement OnTopicEvent; "
                  "event {} acked",
                  event.topic(), event.pubsub_name(), event.id());
    } else {
      ack = grpc::Status(
          status.error_code(),
          "error returned from app while processing pub/sub event: " + status.error_message());
      LogFailure(event, status);
    }
    try {
      call->ack(ack);
    } catch (const std::exception& e) {
      PH_LOG_ERROR("pubsub", "an ack threw: {}", e.what());
    }
    std::lock_guard lock(mutex_);
    in_flight_.erase(call);
    if (in_flight_.empty()) idle_.notify_all();
  }

  bool Paused() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }

  // A message that arrived while paused: left unacked until the streams have closed.
  void Hold(StatusCallback ack) {
    {
      std::lock_guard lock(mutex_);
      if (!closed_) {
        held_.push_back(std::move(ack));
        return;
      }
    }
    SettleUnsent(ack);  // a straggler after Stop: its stream is closed already
  }

  static void SettleUnsent(StatusCallback& ack) {
    try {
      ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("pubsub", "an ack threw: {}", e.what());
    }
  }

  // `ack`, reporting the message as pending in the lag gauge until it is called.
  StatusCallback Tracked(const std::shared_ptr<const Route>& route, StatusCallback ack) {
    SubscriptionLag* lag = options_.lag;
    auto token = lag->Received(route->pubsub_name, route->topic);
    return [lag, route, token, ack = std::move(ack)](grpc::Status status) mutable {
      lag->Settled(route->pubsub_name, route->topic, token, status.ok());
      ack(std::move(status));
    };
  }

  void LogFailure(const rt::TopicEventRequest& event, const grpc::Status& status) {
    {
      std::lock_guard lock(mutex_);
      auto now = Clock::now();
      if (now - last_failure_log_ < kFailureLogInterval) return;
      last_failure_log_ = now;
    }
    PH_LOG_WARN("pubsub",
                "topic '{}' of pubsub '{}': delivering event {} to the app failed "
                "({}: {}); it will be redelivered",
                event.topic(), event.pubsub_name(), event.id(),
                static_cast<int>(status.error_code()), status.error_message());
  }

  ApiContext* context_;
  const TopicDeliveryOptions options_;

  std::mutex mutex_;
  std::condition_variable idle_;
  bool stopped_ = false;  // paused: nothing more goes to the app
  bool closed_ = false;   // the subscriptions are closed and the held messages settled
  std::vector<StatusCallback> held_;  // arrived while paused, never acked
  std::shared_ptr<ListCall> list_call_;
  std::unique_ptr<grpc::Alarm> retry_timer_;
  std::chrono::milliseconds retry_delay_;
  int list_failures_ = 0;
  std::vector<Subscribed> subscriptions_;
  std::vector<rt::TopicSubscription> waiting_;  // listed by the app, their pubsub not there yet
  std::set<std::shared_ptr<EventCall>> in_flight_;
  Clock::time_point last_failure_log_{};
};

TopicDelivery::TopicDelivery(ApiContext* context, TopicDeliveryOptions options)
    : state_(std::make_shared<State>(context, options)) {}

TopicDelivery::~TopicDelivery() { Stop(std::chrono::milliseconds(0)); }

void TopicDelivery::Start() {
  if (!state_->HasApp()) return;
  state_->List();
}

void TopicDelivery::Stop(std::chrono::milliseconds drain) { state_->Stop(drain); }

void TopicDelivery::InstanceAdded(ComponentKind kind, const std::string& name) {
  if (kind == ComponentKind::kPubSub) state_->InstanceAdded(name);
}

}  // namespace plughost
