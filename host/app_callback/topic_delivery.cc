#include "host/app_callback/topic_delivery.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "common/bounded_json.h"
#include "common/gate.h"
#include "host/pubsub/cloud_events.h"
#include "host/app_callback/delivery_support.h"
#include "host/common/log.h"
#include "host/components/pubsub.h"
#include "host/ops/metrics.h"
#include "host/pubsub/circuit_breaker.h"
#include "host/pubsub/routing_expression.h"
#include "host/resiliency/retry_delay.h"

namespace plughost {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using Clock = std::chrono::steady_clock;

// At shutdown, how long cancelled event calls get to be answered (gRPC answers them at once)
// before the streams their rejections go out on are closed.
constexpr auto kCancelledAnswerWait = std::chrono::milliseconds(500);

// Delivery failures (the app down, timing out) are logged at most this often per subscription.
constexpr auto kFailureLogInterval = std::chrono::seconds(5);

// A routing rule, compiled: events for which `match` is true (always, when null) go to `path`.
struct CompiledRule {
  std::shared_ptr<const RoutingExpression> match;
  std::string path;
};

// One subscription as the host delivers it; fixed once subscribed.
struct Plan {
  std::string pubsub_name;
  std::string topic;
  std::string path;
  // Rules with match expressions, in order, the default route last; empty when the
  // subscription has none (then every event goes to `path`).
  std::vector<CompiledRule> rules;
  bool raw_payload = false;
  std::string dead_letter_topic;
  int max_concurrency = 1;
  DeliveryPolicySpec policy;
  std::optional<std::chrono::milliseconds> timeout;  // per OnTopicEvent attempt
  // The pubsub's inbound circuit breaker (shared by its subscriptions), or null.
  std::shared_ptr<CircuitBreaker> breaker;
  // bulkSubscribe: batches of up to bulk_max_messages, sent once full or bulk_max_await after
  // the first message queued.
  bool bulk = false;
  int bulk_max_messages = 100;
  std::chrono::milliseconds bulk_max_await{1000};
};

// The path of a subscription without match expressions: its default route, else its first rule.
std::string PathOf(const rt::TopicSubscription& subscription) {
  const auto& routes = subscription.routes();
  if (!routes.default_().empty()) return routes.default_();
  if (routes.rules_size() > 0) return routes.rules(0).path();
  return "";
}

// The subscription's rules with match expressions compiled, in order, then the default route;
// empty without any match expression. An expression outside the supported subset is an error
// naming it.
absl::StatusOr<std::vector<CompiledRule>> CompileRules(const rt::TopicSubscription& subscription) {
  const auto& routes = subscription.routes();
  bool any_match = std::any_of(routes.rules().begin(), routes.rules().end(),
                               [](const rt::TopicRule& rule) { return !rule.match().empty(); });
  std::vector<CompiledRule> rules;
  if (!any_match) return rules;
  for (const auto& rule : routes.rules()) {
    CompiledRule compiled{nullptr, rule.path()};
    if (!rule.match().empty()) {
      auto expression = RoutingExpression::Compile(rule.match());
      if (!expression.ok()) {
        return absl::InvalidArgumentError("routing rule '" + rule.match() + "' is not supported: " +
                                          std::string(expression.status().message()));
      }
      compiled.match = std::make_shared<const RoutingExpression>(std::move(*expression));
    }
    rules.push_back(std::move(compiled));
  }
  if (!routes.default_().empty()) rules.push_back(CompiledRule{nullptr, routes.default_()});
  return rules;
}

// The CloudEvent as daprd binds it to `event`: the envelope as received when it is a JSON
// object, else the attributes of the event the host made of the payload.
nlohmann::json EventForRouting(const pubsubpb::PullMessagesResponse& message,
                               const rt::TopicEventRequest& event, bool raw_payload) {
  if (!raw_payload) {
    auto parsed = ParseBoundedJson(message.data());
    if (!parsed.is_discarded() && parsed.is_object()) return parsed;
  }
  return {{"id", event.id()},
          {"source", event.source()},
          {"type", event.type()},
          {"specversion", event.spec_version()},
          {"datacontenttype", event.data_content_type()},
          {"topic", event.topic()},
          {"pubsubname", event.pubsub_name()}};
}

// Where the plan's rules send `event`: the first matching rule's path, else the default route;
// nullopt when none matches; an error naming the rule when one cannot be evaluated.
absl::StatusOr<std::optional<std::string>> MatchRoute(const Plan& plan,
                                                      const nlohmann::json& event) {
  for (const auto& rule : plan.rules) {
    if (!rule.match) return rule.path;
    auto matched = rule.match->Evaluate(event);
    if (!matched.ok()) {
      return absl::InvalidArgumentError("routing rule '" + rule.match->text() +
                                        "' failed: " + std::string(matched.status().message()));
    }
    if (*matched) return rule.path;
  }
  return std::nullopt;
}

rt::PubsubSubscription ForMetadata(const rt::TopicSubscription& subscription,
                                   rt::PubsubSubscriptionType type) {
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
  listed.set_type(type);
  return listed;
}

}  // namespace

class TopicDelivery::State : public std::enable_shared_from_this<State> {
 public:
  State(const DeliveryContext* context, TopicDeliveryOptions options)
      : context_(context),
        options_(std::move(options)),
        list_backoff_(Backoff::Options{options_.first_retry, 2.0, 0.2, options_.max_retry}) {}

  bool HasApp() const { return context_->app_channel != nullptr; }
  // Stop has begun: nothing more goes to the app.
  bool paused() const { return deliveries_.closed(); }

  void List() {
    auto call = std::make_shared<ListCall>();
    call->context = context_->app_channel->NewContext(options_.list_timeout);
    {
      absl::MutexLock lock(&mutex_);
      if (paused()) return;
      list_call_ = call;
    }
    context_->app_channel->stub().async()->ListTopicSubscriptions(
        call->context.get(), &call->request, &call->response,
        [self = shared_from_this(), call](const grpc::Status& status) {
          self->Listed(call, status);
        });
  }

  void Stop(std::chrono::milliseconds drain) {
    std::shared_ptr<ListCall> list_call;
    std::unique_ptr<grpc::Alarm> retry_timer;
    std::vector<std::unique_ptr<grpc::Alarm>> batch_timers;
    {
      absl::MutexLock lock(&mutex_);
      if (paused()) return;
      deliveries_.Close();  // paused: from here on nothing new goes to the app
      list_call = std::move(list_call_);
      retry_timer = std::move(retry_timer_);
      // Messages waiting their turn are held unacked, like those that arrive from now on.
      for (auto& sub : subs_) {
        for (auto& item : sub->queue) held_.push_back(std::move(item.ack));
        sub->queue.clear();
        // A pending partial batch is held like the rest; its timer is cancelled below.
        batch_timers.push_back(std::move(sub->batch_timer));
      }
    }
    if (list_call) list_call->context->TryCancel();
    retry_timer.reset();  // cancels a pending retry
    batch_timers.clear();

    // Drain with the streams still open, so the answers of events at the app are acked.
    bool has_subscriptions = false;
    {
      absl::MutexLock lock(&mutex_);
      has_subscriptions = !subscriptions_.empty();
    }
    if (has_subscriptions) {
      PH_LOG_INFO("pubsub",
                  "subscriptions paused: {} event(s) at the app, waiting up to {} ms for their "
                  "answers",
                  deliveries_.in_flight(), drain.count());
    }
    if (!deliveries_.WaitFor(drain)) {
      std::vector<std::shared_ptr<InFlight>> unanswered;
      {
        absl::MutexLock lock(&mutex_);
        unanswered.assign(in_flight_.begin(), in_flight_.end());
        for (auto& run : unanswered) run->cancelled = true;  // no further attempt starts
      }
      // Cancelled calls are answered with CANCELLED at once, and cancelled retry waits end at
      // once; both reject their events.
      for (auto& run : unanswered) {
        if (run->context) run->context->TryCancel();
        if (run->retry_timer) run->retry_timer->Cancel();
      }
      deliveries_.WaitFor(kCancelledAnswerWait);
    }

    // No delivery starts once these return.
    std::vector<Subscribed> subscriptions;
    {
      absl::MutexLock lock(&mutex_);
      subscriptions.swap(subscriptions_);
    }
    for (auto& subscribed : subscriptions) {
      subscribed.subscription->Close();
      context_->subscriptions->Remove(subscribed.registration);
    }
    // The held messages were never acked; their streams are gone, so the components keep them
    // for whoever subscribes next. Settling them here only ends their tracking.
    std::vector<StatusCallback> held;
    {
      absl::MutexLock lock(&mutex_);
      closed_ = true;
      held.swap(held_);
    }
    for (auto& ack : held) SettleUnsent(ack);
  }

  // A pubsub created after the app listed its topics (a hot-plugged socket): subscribe the
  // topics that were waiting for it.
  void InstanceAdded(const std::string& name) {
    std::vector<Waiting> ready;
    {
      absl::MutexLock lock(&mutex_);
      if (paused()) return;
      auto waiting = std::stable_partition(waiting_.begin(), waiting_.end(), [&](const Waiting& w) {
        return w.subscription.pubsub_name() != name;
      });
      ready.assign(std::make_move_iterator(waiting), std::make_move_iterator(waiting_.end()));
      waiting_.erase(waiting, waiting_.end());
    }
    for (const auto& w : ready) Subscribe(w.subscription, w.type);
  }

 private:
  struct ListCall {
    std::unique_ptr<grpc::ClientContext> context;
    google::protobuf::Empty request;
    rt::ListTopicSubscriptionsResponse response;
  };

  // A message waiting for its turn at the app.
  struct Queued {
    pubsubpb::PullMessagesResponse message;
    StatusCallback ack;
  };

  // One subscription's delivery state; everything but `plan` guarded by the State's mutex.
  struct Sub {
    std::shared_ptr<const Plan> plan;
    std::deque<Queued> queue;
    int active = 0;  // messages (or batches) at the app, or between their attempts
    bool unimplemented_logged = false;
    Clock::time_point last_failure_log{};
    // Bulk: the timer that sends a partial batch, and whether it has fired.
    std::unique_ptr<grpc::Alarm> batch_timer;
    bool batch_armed = false;
    bool batch_due = false;
    bool bulk_alpha = false;  // the app has no OnBulkTopicEvent: use OnBulkTopicEventAlpha1
  };

  // What Stop cancels: a message (or batch) on its way to the app, through all its attempts.
  // `context` and `retry_timer` are only replaced under the State's mutex while `cancelled` is
  // false.
  struct InFlight {
    virtual ~InFlight() = default;
    std::shared_ptr<Sub> sub;
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::Alarm> retry_timer;
    RetryState retries;
    bool cancelled = false;
    // The circuit breaker's token for the attempt at the app; only its own steps touch it.
    delivery::BreakerCall breaker_call;
    Gate::Holder entry;  // in the State's deliveries gate until Ended
  };

  struct Run : InFlight {
    pubsubpb::PullMessagesResponse message;
    StatusCallback ack;
    rt::TopicEventRequest request;
    rt::TopicEventResponse response;
  };

  // One batch of a bulk subscription; each entry is settled on its own.
  struct BulkRun : InFlight {
    struct Entry {
      pubsubpb::PullMessagesResponse message;
      StatusCallback ack;
      std::string entry_id;
      rt::TopicEventBulkRequestEntry sent;  // what the app gets for it
      bool pending = false;                 // still to be answered by the app
      std::string path;                     // the route it matched
    };
    std::vector<Entry> entries;
    // As daprd, the entries go to the app in one call per route, each with its own retries,
    // one route after the other: `paths` in the order first matched, `group` the one at the
    // app. Both only touched by the batch's own steps, one at a time.
    std::vector<std::string> paths;
    size_t group = 0;
    int unsettled = 0;  // guarded by the State's mutex
    rt::TopicEventBulkRequest request;
    rt::TopicEventBulkResponse response;
  };

  struct Ready {
    std::vector<std::shared_ptr<Run>> runs;
    std::vector<std::shared_ptr<BulkRun>> batches;
  };

  struct Subscribed {
    std::unique_ptr<Subscription> subscription;
    ActiveSubscriptions::Id registration;
  };

  struct Waiting {
    rt::TopicSubscription subscription;
    rt::PubsubSubscriptionType type;
  };

  void Listed(const std::shared_ptr<ListCall>& call, const grpc::Status& status) {
    {
      absl::MutexLock lock(&mutex_);
      if (list_call_ == call) list_call_.reset();
      if (paused()) return;
    }
    std::set<std::pair<std::string, std::string>> seen;
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      PH_LOG_INFO("pubsub", "the app at {} lists no topic subscriptions",
                  context_->app_channel->address());
    } else if (!status.ok()) {
      RetryList(status);
      return;
    } else {
      PH_LOG_INFO("pubsub", "the app at {} subscribes to {} topic(s)",
                  context_->app_channel->address(), call->response.subscriptions_size());
      for (const auto& subscription : call->response.subscriptions()) {
        if (!seen.emplace(subscription.pubsub_name(), subscription.topic()).second) {
          PH_LOG_WARN("pubsub", "the app lists topic '{}' of pubsub '{}' twice; subscribed once",
                      subscription.topic(), subscription.pubsub_name());
          continue;
        }
        Subscribe(subscription, rt::PROGRAMMATIC);
      }
    }
    // Declarative subscriptions, unless the app subscribed the same topic itself (daprd lets
    // the programmatic one replace the declarative one).
    for (const auto& declared : options_.declarative) {
      if (!seen.emplace(declared.pubsub_name(), declared.topic()).second) {
        PH_LOG_INFO("pubsub",
                    "declarative subscription to topic '{}' of pubsub '{}': the app "
                    "subscribes to it itself; its own subscription is used",
                    declared.topic(), declared.pubsub_name());
        continue;
      }
      Subscribe(declared, rt::DECLARATIVE);
    }
  }

  // The app is not reachable (yet): ask again after a backoff, until it answers or we stop.
  void RetryList(const grpc::Status& status) {
    absl::MutexLock lock(&mutex_);
    if (paused()) return;
    const bool capped = list_backoff_.current() >= options_.max_retry;
    auto delay = list_backoff_.NextDelay();
    if (list_failures_++ == 0 || capped) {
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

  // Takes the breaker's permission for an attempt (kept across the Alpha1 fallback, one
  // attempt); false when it refuses (open), as daprd: the attempt then fails at once and is not
  // retried.
  static bool BreakerAllows(InFlight& in_flight) {
    if (in_flight.breaker_call.active()) return true;
    in_flight.breaker_call = delivery::BreakerCall::Ask(in_flight.sub->plan->breaker);
    return !in_flight.breaker_call.refused();
  }

  static void BreakerRecords(InFlight& in_flight, bool success) {
    in_flight.breaker_call.Record(success, in_flight.sub->plan->pubsub_name);
  }

  void Subscribe(const rt::TopicSubscription& subscription, rt::PubsubSubscriptionType type) {
    auto instance = context_->instances->Find(ComponentKind::kPubSub, subscription.pubsub_name());
    if (!instance) {
      PH_LOG_WARN("pubsub",
                  "the app subscribes to topic '{}' of pubsub '{}', but no such pubsub "
                  "is configured; subscribed if one appears",
                  subscription.topic(), subscription.pubsub_name());
      absl::MutexLock lock(&mutex_);
      if (!paused()) waiting_.push_back(Waiting{subscription, type});
      return;
    }
    if (subscription.topic().empty()) {
      PH_LOG_WARN("pubsub", "the app subscribes to pubsub '{}' without a topic; skipped",
                  subscription.pubsub_name());
      return;
    }
    auto plan = std::make_shared<Plan>();
    plan->pubsub_name = subscription.pubsub_name();
    plan->topic = subscription.topic();
    plan->path = PathOf(subscription);
    auto rules = CompileRules(subscription);
    if (!rules.ok()) {
      PH_LOG_ERROR("pubsub", "{} subscription to topic '{}' of pubsub '{}' not made: {}",
                   type == rt::DECLARATIVE ? "declarative" : "the app's", plan->topic,
                   plan->pubsub_name, rules.status().message());
      return;
    }
    plan->rules = std::move(*rules);
    auto raw = cloud_events::IsRawPayload(subscription.metadata());
    if (!raw.ok()) {
      PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': {}; treated as false", plan->topic,
                  plan->pubsub_name, raw.status().message());
    }
    plan->raw_payload = raw.ok() && *raw;
    plan->dead_letter_topic = subscription.dead_letter_topic();
    std::string warning;
    plan->max_concurrency = delivery::MaxConcurrencyOf(subscription.metadata(), &warning);
    if (!warning.empty()) {
      PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': {}", plan->topic, plan->pubsub_name,
                  warning);
    }
    if (const auto* policy =
            delivery::InboundPolicyOf(options_.inbound_policies, plan->pubsub_name))
      plan->policy = *policy;
    plan->timeout = plan->policy.timeout ? plan->policy.timeout : options_.callback_timeout;
    plan->breaker = context_->inbound_breakers->Of(plan->pubsub_name, plan->policy);
    if (subscription.bulk_subscribe().enabled()) {
      const auto& bulk = subscription.bulk_subscribe();
      plan->bulk = true;
      // As daprd without native bulk support in the component: 100 messages, 1000 ms.
      if (bulk.max_messages_count() > 0) plan->bulk_max_messages = bulk.max_messages_count();
      if (bulk.max_await_duration_ms() > 0) {
        plan->bulk_max_await = std::chrono::milliseconds(bulk.max_await_duration_ms());
      }
    }
    auto sub = std::make_shared<Sub>();
    sub->plan = plan;

    pubsubpb::Topic topic;
    topic.set_name(subscription.topic());
    topic.mutable_metadata()->insert(subscription.metadata().begin(),
                                     subscription.metadata().end());
    auto registration = context_->subscriptions->Add(ForMetadata(subscription, type));
    {
      absl::MutexLock lock(&mutex_);
      subs_.push_back(sub);
    }
    auto handle = instance->As<PubSub>()->Subscribe(
        std::move(topic),
        [weak = weak_from_this(), sub](pubsubpb::PullMessagesResponse message, StatusCallback ack) {
          auto self = weak.lock();
          if (!self) {
            ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
            return;
          }
          self->Deliver(sub, std::move(message), std::move(ack));
        });
    decltype(handle) refused;  // stopped while subscribing: closed here, outside the lock
    {
      absl::MutexLock lock(&mutex_);
      if (paused()) {
        refused = std::move(handle);
      } else {
        subscriptions_.push_back(Subscribed{std::move(handle), registration});
      }
    }
    if (refused) {
      refused->Close();
      context_->subscriptions->Remove(registration);
      return;
    }
    PH_LOG_INFO(
        "pubsub", "delivering topic '{}' of pubsub '{}' to the app{}{}, {} at a time", plan->topic,
        plan->pubsub_name, plan->path.empty() ? "" : " at path " + plan->path,
        plan->dead_letter_topic.empty() ? "" : ", dead letters to " + plan->dead_letter_topic,
        plan->max_concurrency);
  }

  // A message from a component, on one of its threads: queued behind the subscription's
  // earlier ones, and started once fewer than its max_concurrency are at the app.
  void Deliver(const std::shared_ptr<Sub>& sub, pubsubpb::PullMessagesResponse message,
               StatusCallback ack) {
    if (options_.lag != nullptr) ack = Tracked(sub->plan, std::move(ack));
    Ready ready;
    StatusCallback held;  // the ack of a message that came while paused: held, not queued
    {
      absl::MutexLock lock(&mutex_);
      if (paused()) {
        held = std::move(ack);
      } else {
        sub->queue.push_back(Queued{std::move(message), std::move(ack)});
        ready = TakeReady(sub);
      }
    }
    if (held) {
      Hold(std::move(held));
      return;
    }
    Start(ready);
  }

  void Start(Ready& ready) {
    for (auto& run : ready.runs) Begin(run);
    for (auto& batch : ready.batches) BeginBatch(batch);
  }

  // A bulk subscription's batch timer fired: send what is queued.
  void BatchDue(const std::shared_ptr<Sub>& sub) {
    Ready ready;
    {
      absl::MutexLock lock(&mutex_);
      sub->batch_armed = false;
      sub->batch_due = true;
      ready = TakeReady(sub);
    }
    Start(ready);
  }

  // The queued messages (or batches) of `sub` that may go to the app now.
  Ready TakeReady(const std::shared_ptr<Sub>& sub) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    Ready ready;
    const Plan& plan = *sub->plan;
    while (sub->active < plan.max_concurrency && !sub->queue.empty()) {
      Gate::Holder entry(deliveries_);
      if (!entry) break;  // paused: what is queued is held, not sent
      if (plan.bulk) {
        if (static_cast<int>(sub->queue.size()) < plan.bulk_max_messages && !sub->batch_due) {
          if (!sub->batch_armed) {  // the first message of a batch: send it by max_await
            sub->batch_armed = true;
            sub->batch_timer = std::make_unique<grpc::Alarm>();
            sub->batch_timer->Set(std::chrono::system_clock::now() + plan.bulk_max_await,
                                  [weak = weak_from_this(), sub](bool fired) {
                                    if (!fired) return;
                                    if (auto self = weak.lock()) self->BatchDue(sub);
                                  });
          }
          break;
        }
        sub->batch_due = false;
        auto batch = std::make_shared<BulkRun>();
        batch->sub = sub;
        while (!sub->queue.empty() &&
               static_cast<int>(batch->entries.size()) < plan.bulk_max_messages) {
          auto& entry = batch->entries.emplace_back();
          entry.message = std::move(sub->queue.front().message);
          entry.ack = std::move(sub->queue.front().ack);
          entry.entry_id = cloud_events::NewUuid();
          sub->queue.pop_front();
        }
        batch->unsettled = static_cast<int>(batch->entries.size());
        batch->entry = std::move(entry);
        ++sub->active;
        in_flight_.insert(batch);
        ready.batches.push_back(std::move(batch));
        continue;
      }
      auto run = std::make_shared<Run>();
      run->entry = std::move(entry);
      run->sub = sub;
      run->message = std::move(sub->queue.front().message);
      run->ack = std::move(sub->queue.front().ack);
      sub->queue.pop_front();
      ++sub->active;
      in_flight_.insert(run);
      ready.runs.push_back(std::move(run));
    }
    return ready;
  }

  void Begin(const std::shared_ptr<Run>& run) {
    const Plan& plan = *run->sub->plan;
    cloud_events::Received received{plan.pubsub_name, plan.topic, plan.path, plan.raw_payload};
    auto decoded = cloud_events::ToTopicEvent(run->message, received, &run->request);
    if (!decoded.ok()) {
      PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': cannot decode message {}: {}", plan.topic,
                  plan.pubsub_name, run->message.id(), decoded.status().message());
      GiveUp(run, grpc::Status::OK);  // it would not decode later either: never redelivered
      return;
    }
    if (*decoded == cloud_events::Decoded::kExpired) {
      PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': event {} has expired", plan.topic,
                  plan.pubsub_name, run->request.id());
      GiveUp(run, grpc::Status::OK);
      return;
    }
    if (!plan.rules.empty() && !Route(run)) return;
    Attempt(run);
  }

  // Evaluates the rules, first match wins, and sets the event's path; false when the event was
  // settled instead: no rule matched (acked, dead-lettered if a topic is set), or a rule could
  // not be evaluated (dead-lettered, else rejected), as daprd.
  bool Route(const std::shared_ptr<Run>& run) {
    const Plan& plan = *run->sub->plan;
    auto path = MatchRoute(plan, EventForRouting(run->message, run->request, plan.raw_payload));
    if (!path.ok()) {
      PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': event {}: {}", plan.topic, plan.pubsub_name,
                  run->request.id(), path.status().message());
      GiveUp(run, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               std::string(path.status().message())));
      return false;
    }
    if (!*path) {
      PH_LOG_WARN("pubsub",
                  "topic '{}' of pubsub '{}': no routing rule matches event {}; not "
                  "delivered",
                  plan.topic, plan.pubsub_name, run->request.id());
      GiveUp(run, grpc::Status::OK);
      return false;
    }
    run->request.set_path(**path);
    return true;
  }

  void Attempt(const std::shared_ptr<Run>& run) {
    const Plan& plan = *run->sub->plan;
    bool cancelled = false;
    {
      absl::MutexLock lock(&mutex_);
      cancelled = run->cancelled;
      if (!cancelled) {
        run->context = context_->app_channel->NewContext(plan.timeout);
        delivery::AddEventMetadata(run->context.get(), run->message.metadata(), plan.pubsub_name);
        run->response.Clear();
      }
    }
    if (cancelled) {
      Finish(run, grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
      return;
    }
    if (!BreakerAllows(*run)) {
      auto error = run->breaker_call.RefusedStatus();
      LogFailure(run, error);
      GiveUp(run, std::move(error));
      return;
    }
    context_->app_channel->stub().async()->OnTopicEvent(
        run->context.get(), &run->request, &run->response,
        [self = shared_from_this(), run](const grpc::Status& status) {
          self->Answered(run, status);
        });
  }

  void Answered(const std::shared_ptr<Run>& run, const grpc::Status& status) {
    const auto& event = run->request;
    if (status.error_code() != grpc::StatusCode::CANCELLED) {
      // As daprd: the app's SUCCESS and DROP (and a missing handler) are successful calls.
      bool success = status.error_code() == grpc::StatusCode::UNIMPLEMENTED ||
                     (status.ok() && (run->response.status() == rt::TopicEventResponse::SUCCESS ||
                                      run->response.status() == rt::TopicEventResponse::DROP));
      BreakerRecords(*run, success);
    }
    if (status.ok()) {
      switch (run->response.status()) {
        case rt::TopicEventResponse::SUCCESS:
          Finish(run, grpc::Status::OK);
          return;
        case rt::TopicEventResponse::DROP:
          PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': the app dropped event {}",
                      event.topic(), event.pubsub_name(), event.id());
          GiveUp(run, grpc::Status::OK);
          return;
        case rt::TopicEventResponse::RETRY:
          Failed(run, grpc::Status(grpc::StatusCode::ABORTED,
                                   "the app asked for the event to be retried"));
          return;
        default:
          Failed(run, grpc::Status(grpc::StatusCode::ABORTED,
                                   "unknown status returned from app while processing pub/sub "
                                   "event"));
          return;
      }
    }
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      // As daprd: an app without OnTopicEvent cannot take the event now or later; acked.
      bool first = false;
      {
        absl::MutexLock lock(&mutex_);
        first = !std::exchange(run->sub->unimplemented_logged, true);
      }
      if (first) {
        PH_LOG_WARN("pubsub",
                    "topic '{}' of pubsub '{}': the app does not implement "
                    "AppCallback.OnTopicEvent; its events are acked without being handled",
                    event.topic(), event.pubsub_name());
      }
      Finish(run, grpc::Status::OK);
      return;
    }
    Failed(run, grpc::Status(status.error_code(),
                             "error returned from app while processing pub/sub event: " +
                                 status.error_message()));
  }

  // The attempt failed: retry under the policy, else give up.
  void Failed(const std::shared_ptr<Run>& run, grpc::Status error) {
    const Plan& plan = *run->sub->plan;
    if (IsCancelled(*run)) {  // shutting down: rejected, never dead-lettered
      Finish(run, grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
      return;
    }
    auto delay = run->retries.Next(plan.policy);
    if (!delay) {
      LogFailure(run, error);
      GiveUp(run, std::move(error));
      return;
    }
    bool cancelled = false;
    {
      absl::MutexLock lock(&mutex_);
      cancelled = run->cancelled;
      if (!cancelled) {
        run->retry_timer = std::make_unique<grpc::Alarm>();
        // Fired or cancelled (by Stop), the next attempt runs; a cancelled one ends at once.
        run->retry_timer->Set(std::chrono::system_clock::now() + *delay,
                              [self = shared_from_this(), run](bool) { self->Attempt(run); });
      }
    }
    if (cancelled) {
      Finish(run, grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
    }
  }

  // No more attempts: to the dead-letter topic, and acked once it is there; without a topic,
  // settled with `without_dead_letter` (OK acks, an error has the component redeliver).
  void GiveUp(const std::shared_ptr<Run>& run, grpc::Status without_dead_letter) {
    const Plan& plan = *run->sub->plan;
    if (plan.dead_letter_topic.empty()) {
      Finish(run, std::move(without_dead_letter));
      return;
    }
    auto pubsub = context_->instances->Find(ComponentKind::kPubSub, plan.pubsub_name);
    if (!pubsub) {
      Finish(run, grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "the pubsub of the dead-letter topic is gone"));
      return;
    }
    delivery::PublishDeadLetter(
        pubsub, plan.dead_letter_topic, run->message,
        [self = shared_from_this(), run](const grpc::Status& status) {
          const Plan& plan = *run->sub->plan;
          if (status.ok()) {
            PH_LOG_INFO("pubsub",
                        "topic '{}' of pubsub '{}': message {} sent to dead-letter "
                        "topic '{}'",
                        plan.topic, plan.pubsub_name, run->message.id(), plan.dead_letter_topic);
            self->Finish(run, grpc::Status::OK);
            return;
          }
          PH_LOG_WARN("pubsub",
                      "topic '{}' of pubsub '{}': publishing message {} to dead-letter "
                      "topic '{}' failed ({}); it will be redelivered",
                      plan.topic, plan.pubsub_name, run->message.id(), plan.dead_letter_topic,
                      status.error_message());
          self->Finish(run, grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         "dead-letter publish failed: " + status.error_message()));
        });
  }

  // Settles the message with the component and lets the subscription's next one go.
  void Finish(const std::shared_ptr<Run>& run, grpc::Status status) {
    try {
      run->ack(std::move(status));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("pubsub", "an ack threw: {}", e.what());
    }
    Ended(run);
  }

  // `done` no longer occupies its subscription: the next message (or batch) may go.
  void Ended(const std::shared_ptr<InFlight>& done) {
    Ready ready;
    {
      absl::MutexLock lock(&mutex_);
      in_flight_.erase(done);
      --done->sub->active;
      ready = TakeReady(done->sub);
    }
    done->entry.Release();  // after TakeReady: what follows entered the gate already
    Start(ready);
  }

  bool IsCancelled(const InFlight& in_flight) {
    absl::MutexLock lock(&mutex_);
    return in_flight.cancelled;
  }

  // ---- Bulk delivery: OnBulkTopicEvent, else OnBulkTopicEventAlpha1 -------------------------

  void BeginBatch(const std::shared_ptr<BulkRun>& batch) {
    const Plan& plan = *batch->sub->plan;
    // Entries settled without reaching the app: undecodable, expired or unrouted (acked or
    // dead-lettered), or a rule failed on them (dead-lettered, else rejected), as daprd.
    std::vector<std::pair<size_t, grpc::Status>> undeliverable;
    for (size_t i = 0; i < batch->entries.size(); ++i) {
      auto& entry = batch->entries[i];
      rt::TopicEventRequest event;
      cloud_events::Received received{plan.pubsub_name, plan.topic, plan.path, plan.raw_payload};
      auto decoded = cloud_events::ToTopicEvent(entry.message, received, &event);
      if (!decoded.ok() || *decoded == cloud_events::Decoded::kExpired) {
        PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': message {} {}", plan.topic,
                    plan.pubsub_name, entry.message.id(),
                    decoded.ok() ? "has expired"
                                 : "cannot be decoded: " + std::string(decoded.status().message()));
        undeliverable.push_back({i, grpc::Status::OK});
        continue;
      }
      entry.path = plan.path;
      if (!plan.rules.empty()) {
        auto path = MatchRoute(plan, EventForRouting(entry.message, event, plan.raw_payload));
        if (!path.ok() || !*path) {
          PH_LOG_WARN("pubsub", "topic '{}' of pubsub '{}': event {}: {}; not delivered",
                      plan.topic, plan.pubsub_name, event.id(),
                      path.ok() ? "no routing rule matches" : path.status().message());
          undeliverable.push_back({i, path.ok()
                                          ? grpc::Status::OK
                                          : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                                         std::string(path.status().message()))});
          continue;
        }
        entry.path = **path;
      }
      if (std::find(batch->paths.begin(), batch->paths.end(), entry.path) == batch->paths.end()) {
        batch->paths.push_back(entry.path);
      }
      auto& sent = entry.sent;
      sent.set_entry_id(entry.entry_id);
      sent.mutable_metadata()->insert(entry.message.metadata().begin(),
                                      entry.message.metadata().end());
      if (plan.raw_payload) {
        sent.set_bytes(entry.message.data());
        // As daprd: the message's own content type, else bytes.
        sent.set_content_type(entry.message.content_type().empty() ? "application/octet-stream"
                                                                   : entry.message.content_type());
      } else {
        auto* ce = sent.mutable_cloud_event();
        ce->set_id(event.id());
        ce->set_source(event.source());
        ce->set_type(event.type());
        ce->set_spec_version(event.spec_version());
        ce->set_data_content_type(event.data_content_type());
        ce->set_data(event.data());
        *ce->mutable_extensions() = event.extensions();
        sent.set_content_type(entry.message.content_type().empty()
                                  ? std::string(cloud_events::kContentType)
                                  : entry.message.content_type());
      }
      entry.pending = true;
    }
    bool any = std::any_of(batch->entries.begin(), batch->entries.end(),
                           [](const BulkRun::Entry& e) { return e.pending; });
    for (auto& [i, status] : undeliverable) GiveUpEntry(batch, i, std::move(status));
    if (any) AttemptBatch(batch);
  }

  void AttemptBatch(const std::shared_ptr<BulkRun>& batch) {
    const Plan& plan = *batch->sub->plan;
    bool cancelled = false;
    bool alpha = false;
    {
      absl::MutexLock lock(&mutex_);
      cancelled = batch->cancelled;
      alpha = batch->sub->bulk_alpha;
      if (!cancelled) {
        batch->context = context_->app_channel->NewContext(plan.timeout);
        delivery::AddEventMetadata(batch->context.get(), {}, plan.pubsub_name);
      }
    }
    if (cancelled) {
      SettlePending(batch,
                    grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
      return;
    }
    if (!BreakerAllows(*batch)) {  // the route's entries fail at once, without retries
      auto error = batch->breaker_call.RefusedStatus();
      for (size_t i = 0; i < batch->entries.size(); ++i) {
        if (InGroup(*batch, batch->entries[i])) GiveUpEntry(batch, i, error);
      }
      NextGroup(batch);
      return;
    }
    auto& request = batch->request;
    request.Clear();
    request.set_id(cloud_events::NewUuid());
    request.set_topic(plan.topic);
    request.set_pubsub_name(plan.pubsub_name);
    request.set_type("com.dapr.event.sent.bulk");
    const std::string& path = batch->paths[batch->group];
    request.set_path(path);
    (*request.mutable_metadata())["pubsubName"] = plan.pubsub_name;
    for (const auto& entry : batch->entries) {
      if (entry.pending && entry.path == path) *request.add_entries() = entry.sent;
    }
    batch->response.Clear();
    auto done = [self = shared_from_this(), batch, alpha](const grpc::Status& status) {
      self->BatchAnswered(batch, alpha, status);
    };
    if (alpha) {
      context_->app_channel->alpha_stub().async()->OnBulkTopicEventAlpha1(
          batch->context.get(), &batch->request, &batch->response, std::move(done));
    } else {
      context_->app_channel->stub().async()->OnBulkTopicEvent(batch->context.get(), &batch->request,
                                                              &batch->response, std::move(done));
    }
  }

  void BatchAnswered(const std::shared_ptr<BulkRun>& batch, bool alpha,
                     const grpc::Status& status) {
    const Plan& plan = *batch->sub->plan;
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      if (!alpha) {  // as daprd: try the Alpha1 call (the same attempt), and keep to it
        {
          absl::MutexLock lock(&mutex_);
          batch->sub->bulk_alpha = true;
        }
        AttemptBatch(batch);
        return;
      }
      bool first = false;
      {
        absl::MutexLock lock(&mutex_);
        first = !std::exchange(batch->sub->unimplemented_logged, true);
      }
      if (first) {
        PH_LOG_WARN("pubsub",
                    "topic '{}' of pubsub '{}': the app implements neither "
                    "AppCallback.OnBulkTopicEvent nor AppCallbackAlpha.OnBulkTopicEventAlpha1; "
                    "its bulk events are dropped (acked) without being handled",
                    plan.topic, plan.pubsub_name);
      }
      // As an UNIMPLEMENTED OnTopicEvent: acked, not dead-lettered.
      BreakerRecords(*batch, true);
      SettlePending(batch, grpc::Status::OK);
      return;
    }
    if (!status.ok()) {
      if (status.error_code() != grpc::StatusCode::CANCELLED) BreakerRecords(*batch, false);
      BatchFailed(batch, grpc::Status(status.error_code(),
                                      "error returned from app while processing bulk pub/sub "
                                      "event: " +
                                          status.error_message()));
      return;
    }
    std::map<std::string, rt::TopicEventResponse::TopicEventResponseStatus> answers;
    for (const auto& answer : batch->response.statuses()) {
      answers.emplace(answer.entry_id(), answer.status());
    }
    bool any_failed = false;
    for (size_t i = 0; i < batch->entries.size(); ++i) {
      auto& entry = batch->entries[i];
      if (!InGroup(*batch, entry)) continue;
      auto it = answers.find(entry.entry_id);
      // An entry the app did not answer counts as RETRY, as in daprd.
      auto answer = it == answers.end() ? rt::TopicEventResponse::RETRY : it->second;
      if (answer == rt::TopicEventResponse::SUCCESS) {
        entry.pending = false;
        SettleEntry(batch, i, grpc::Status::OK);
      } else if (answer == rt::TopicEventResponse::DROP) {
        GiveUpEntry(batch, i, grpc::Status::OK);
      } else {
        any_failed = true;  // still pending: retried below, alone with the other failures
      }
    }
    BreakerRecords(*batch, !any_failed);
    if (any_failed) {
      BatchFailed(batch, grpc::Status(grpc::StatusCode::ABORTED,
                                      "the app asked for bulk entries to be retried"));
      return;
    }
    NextGroup(batch);
  }

  // Entries of the route at the app that are still to be answered.
  static bool InGroup(const BulkRun& batch, const BulkRun::Entry& entry) {
    return entry.pending && entry.path == batch.paths[batch.group];
  }

  // The route at the app is done with: the next one with entries left goes, with fresh retries.
  void NextGroup(const std::shared_ptr<BulkRun>& batch) {
    while (++batch->group < batch->paths.size()) {
      if (std::any_of(batch->entries.begin(), batch->entries.end(),
                      [&](const BulkRun::Entry& e) { return InGroup(*batch, e); })) {
        batch->retries = RetryState();
        AttemptBatch(batch);
        return;
      }
    }
  }

  // The pending entries failed: retried (only they) under the policy, else given up.
  void BatchFailed(const std::shared_ptr<BulkRun>& batch, const grpc::Status& error) {
    const Plan& plan = *batch->sub->plan;
    if (IsCancelled(*batch)) {
      SettlePending(batch,
                    grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
      return;
    }
    auto delay = batch->retries.Next(plan.policy);
    if (!delay) {
      for (size_t i = 0; i < batch->entries.size(); ++i) {
        if (InGroup(*batch, batch->entries[i])) GiveUpEntry(batch, i, error);
      }
      NextGroup(batch);
      return;
    }
    bool cancelled = false;
    {
      absl::MutexLock lock(&mutex_);
      cancelled = batch->cancelled;
      if (!cancelled) {
        batch->retry_timer = std::make_unique<grpc::Alarm>();
        batch->retry_timer->Set(
            std::chrono::system_clock::now() + *delay,
            [self = shared_from_this(), batch](bool) { self->AttemptBatch(batch); });
      }
    }
    if (cancelled) {
      SettlePending(batch,
                    grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
    }
  }

  void SettlePending(const std::shared_ptr<BulkRun>& batch, const grpc::Status& status) {
    for (size_t i = 0; i < batch->entries.size(); ++i) {
      if (!batch->entries[i].pending) continue;
      batch->entries[i].pending = false;
      SettleEntry(batch, i, status);
    }
  }

  // As GiveUp, for one entry of a batch.
  void GiveUpEntry(const std::shared_ptr<BulkRun>& batch, size_t index,
                   grpc::Status without_dead_letter) {
    const Plan& plan = *batch->sub->plan;
    batch->entries[index].pending = false;
    if (plan.dead_letter_topic.empty()) {
      SettleEntry(batch, index, std::move(without_dead_letter));
      return;
    }
    auto pubsub = context_->instances->Find(ComponentKind::kPubSub, plan.pubsub_name);
    if (!pubsub) {
      SettleEntry(batch, index,
                  grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "the pubsub of the dead-letter topic is gone"));
      return;
    }
    delivery::PublishDeadLetter(
        pubsub, plan.dead_letter_topic, batch->entries[index].message,
        [self = shared_from_this(), batch, index](const grpc::Status& status) {
          const Plan& plan = *batch->sub->plan;
          if (status.ok()) {
            PH_LOG_INFO("pubsub",
                        "topic '{}' of pubsub '{}': message {} sent to dead-letter "
                        "topic '{}'",
                        plan.topic, plan.pubsub_name, batch->entries[index].message.id(),
                        plan.dead_letter_topic);
            self->SettleEntry(batch, index, grpc::Status::OK);
            return;
          }
          self->SettleEntry(batch, index,
                            grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         "dead-letter publish failed: " + status.error_message()));
        });
  }

  // Acks one entry. `pending` was cleared by the caller, on the batch's own thread: this may
  // run on a component's thread (after a dead-letter publish) and must not touch it.
  void SettleEntry(const std::shared_ptr<BulkRun>& batch, size_t index, grpc::Status status) {
    auto& entry = batch->entries[index];
    try {
      entry.ack(std::move(status));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("pubsub", "an ack threw: {}", e.what());
    }
    bool last = false;
    {
      absl::MutexLock lock(&mutex_);
      last = --batch->unsettled == 0;
    }
    if (last) Ended(batch);
  }

  // A message that arrived while paused: left unacked until the streams have closed.
  void Hold(StatusCallback ack) {
    {
      absl::MutexLock lock(&mutex_);
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
  StatusCallback Tracked(const std::shared_ptr<const Plan>& plan, StatusCallback ack) {
    SubscriptionLag* lag = options_.lag;
    auto token = lag->Received(plan->pubsub_name, plan->topic);
    return [lag, plan, token, ack = std::move(ack)](grpc::Status status) mutable {
      lag->Settled(plan->pubsub_name, plan->topic, token, status.ok());
      ack(std::move(status));
    };
  }

  void LogFailure(const std::shared_ptr<Run>& run, const grpc::Status& status) {
    {
      absl::MutexLock lock(&mutex_);
      auto now = Clock::now();
      if (now - run->sub->last_failure_log < kFailureLogInterval) return;
      run->sub->last_failure_log = now;
    }
    const Plan& plan = *run->sub->plan;
    PH_LOG_WARN("pubsub",
                "topic '{}' of pubsub '{}': delivering event {} to the app failed "
                "({}: {}) after {} retries; {}",
                plan.topic, plan.pubsub_name, run->request.id(),
                static_cast<int>(status.error_code()), status.error_message(),
                run->retries.retries_done(),
                plan.dead_letter_topic.empty() ? "the component redelivers it"
                                               : "sent to the dead-letter topic");
  }

  const DeliveryContext* context_;
  const TopicDeliveryOptions options_;

  // Every message or batch at the app (or between its attempts) holds one entry; Stop closes
  // it (the pause) and waits on it (the drain).
  Gate deliveries_;
  absl::Mutex mutex_;
  // The subscriptions are closed and the held messages settled.
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<StatusCallback> held_ ABSL_GUARDED_BY(mutex_);  // arrived while paused, never acked
  std::shared_ptr<ListCall> list_call_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<grpc::Alarm> retry_timer_ ABSL_GUARDED_BY(mutex_);
  Backoff list_backoff_ ABSL_GUARDED_BY(mutex_);
  int list_failures_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<Subscribed> subscriptions_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::shared_ptr<Sub>> subs_ ABSL_GUARDED_BY(mutex_);
  // Listed by the app, their pubsub not there yet.
  std::vector<Waiting> waiting_ ABSL_GUARDED_BY(mutex_);
  // What Stop cancels when the drain runs out: the same runs and batches the gate counts.
  std::set<std::shared_ptr<InFlight>> in_flight_ ABSL_GUARDED_BY(mutex_);
};

rt::TopicSubscription DeclaredSubscription(const SubscriptionSpec& spec) {
  rt::TopicSubscription out;
  out.set_pubsub_name(spec.pubsub_name);
  out.set_topic(spec.topic);
  out.mutable_metadata()->insert(spec.metadata.begin(), spec.metadata.end());
  for (const auto& rule : spec.rules) {
    if (rule.match.empty()) {
      out.mutable_routes()->set_default_(rule.path);
      break;  // an empty match always matches: later rules are never reached
    }
    auto* added = out.mutable_routes()->add_rules();
    added->set_match(rule.match);
    added->set_path(rule.path);
  }
  out.set_dead_letter_topic(spec.dead_letter_topic);
  out.mutable_bulk_subscribe()->set_enabled(spec.bulk.enabled);
  out.mutable_bulk_subscribe()->set_max_messages_count(spec.bulk.max_messages_count);
  out.mutable_bulk_subscribe()->set_max_await_duration_ms(
      static_cast<int32_t>(spec.bulk.max_await_duration.count()));
  return out;
}

TopicDelivery::TopicDelivery(const DeliveryContext* context, TopicDeliveryOptions options)
    : state_(std::make_shared<State>(context, std::move(options))) {}

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
