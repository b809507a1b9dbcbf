// Pub/sub handlers of the Dapr API: PublishEvent, BulkPublishEvent(Alpha1) and the streaming
// subscription SubscribeTopicEventsAlpha1. Events are wrapped in CloudEvents as Dapr does
// (host/pubsub/cloud_events.h); no handler blocks.
#include <grpcpp/alarm.h>

#include <algorithm>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/status_code_name.h"
#include "host/api/api_errors.h"
#include "host/pubsub/cloud_events.h"
#include "host/api/dapr_api.h"
#include "host/api/pubsub_errors.h"
#include "host/app_callback/delivery_support.h"
#include "host/common/log.h"
#include "host/components/pubsub.h"
#include "host/resiliency/retry_delay.h"

namespace plughost {
namespace {

using Metadata = google::protobuf::Map<std::string, std::string>;
using StreamRequest = runtimepb::SubscribeTopicEventsRequestAlpha1;
using StreamResponse = runtimepb::SubscribeTopicEventsResponseAlpha1;
using EventStatus = runtimepb::TopicEventResponse;

// Publish calls one bulk request may have in flight at once when it is fanned out.
constexpr size_t kMaxParallelPublishes = 32;

bool HasFeature(const Component& component, std::string_view feature) {
  for (const auto& f : component.Features()) {
    if (f == feature) return true;
  }
  return false;
}

std::string_view ClientMetadata(const grpc::CallbackServerContext* call, std::string_view key) {
  const auto& metadata = call->client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end() ? std::string_view()
                              : std::string_view(it->second.data(), it->second.size());
}

// The checks PublishEvent and BulkPublishEvent share, in Dapr's order: token, pubsub name,
// instance, topic, rawPayload. Returns the instance (holding its in-flight slot) or nullptr
// with `error` set.
InstancePtr ResolveTopic(const ApiContext& context, const grpc::CallbackServerContext* call,
                         const std::string& pubsub, const std::string& topic,
                         const Metadata& metadata, bool* raw_payload, grpc::Status* error) {
  if (auto denied = Authorize(context, call); !denied.ok()) {
    *error = denied;
    return nullptr;
  }
  if (pubsub.empty()) {
    *error = pubsub_errors::NameEmpty();
    return nullptr;
  }
  // Dapr answers "not found" whether or not any pubsub is configured.
  if (!context.instances->Find(ComponentKind::kPubSub, pubsub)) {
    *error = pubsub_errors::NotFound(pubsub);
    return nullptr;
  }
  if (topic.empty()) {
    *error = pubsub_errors::TopicEmpty(pubsub);
    return nullptr;
  }
  auto raw = cloud_events::IsRawPayload(metadata);
  if (!raw.ok()) {
    *error = pubsub_errors::MetadataInvalid(std::string(raw.status().message()));
    return nullptr;
  }
  *raw_payload = *raw;
  return ResolveInstance(context, call, ComponentKind::kPubSub, pubsub, error);
}

// The CloudEvent for one published payload, as the component will get it.
absl::StatusOr<std::string> EnvelopeFor(const ApiContext& context,
                                        const grpc::CallbackServerContext* call,
                                        const InstanceInfo& pubsub, const std::string& topic,
                                        const std::string& content_type, const std::string& data,
                                        const Metadata& metadata) {
  cloud_events::Published event;
  event.app_id = context.app_id;
  event.pubsub_name = pubsub.name;
  event.topic = topic;
  event.data_content_type = content_type;
  event.data = data;
  event.metadata = &metadata;
  event.component_handles_ttl = HasFeature(*pubsub.component, cloud_events::kFeatureMessageTtl);
  event.trace_parent = ClientMetadata(call, "traceparent");
  event.trace_state = ClientMetadata(call, "tracestate");
  return cloud_events::Envelope(event);
}

// Sends every entry of a bulk request through Publish, a bounded number at a time, and answers
// with the entries that failed, in request order.
class FanOutPublish : public std::enable_shared_from_this<FanOutPublish> {
 public:
  FanOutPublish(InstancePtr pubsub, CallOptions options, std::vector<std::string> entry_ids,
                std::vector<pubsubpb::PublishRequest> requests, MeteredUnaryReactor* reactor,
                runtimepb::BulkPublishResponse* response)
      : pubsub_(std::move(pubsub)),
        options_(options),
        entry_ids_(std::move(entry_ids)),
        requests_(std::move(requests)),
        errors_(requests_.size()),
        reactor_(reactor),
        response_(response) {}

  // Also called after each completion. Completions that arrive while another thread (or an
  // outer frame of this one: a component may answer inline) is starting calls only count
  // down, so the stack never grows with the number of entries.
  void Pump() {
    std::unique_lock lock(mutex_);
    if (pumping_) return;
    pumping_ = true;
    while (next_ < requests_.size() && outstanding_ < kMaxParallelPublishes) {
      size_t index = next_++;
      ++outstanding_;
      lock.unlock();
      pubsub_->As<PubSub>()->Publish(
          std::move(requests_[index]), options_,
          [self = shared_from_this(), index](const grpc::Status& status) {
            self->Done(index, status);
          });
      lock.lock();
    }
    pumping_ = false;
    if (next_ < requests_.size() || outstanding_ > 0 || finished_) return;
    finished_ = true;
    lock.unlock();
    for (size_t i = 0; i < errors_.size(); ++i) {
      if (errors_[i].empty()) continue;
      auto* failed = response_->add_failedentries();
      failed->set_entry_id(entry_ids_[i]);
      failed->set_error(errors_[i]);
    }
    reactor_->Finish(grpc::Status::OK);
  }

 private:
  void Done(size_t index, const grpc::Status& status) {
    {
      std::lock_guard lock(mutex_);
      if (!status.ok()) {
        errors_[index] = status.error_message().empty()
                             ? "publish failed: " + std::string(StatusCodeName(status.error_code()))
                             : status.error_message();
      }
      --outstanding_;
    }
    Pump();
  }

  InstancePtr pubsub_;
  CallOptions options_;
  std::vector<std::string> entry_ids_;
  std::vector<pubsubpb::PublishRequest> requests_;
  std::vector<std::string> errors_;  // per entry; empty = published
  MeteredUnaryReactor* reactor_;
  runtimepb::BulkPublishResponse* response_;

  std::mutex mutex_;
  size_t next_ = 0;
  size_t outstanding_ = 0;
  bool pumping_ = false;
  bool finished_ = false;
};

// BulkPublishEvent and BulkPublishEventAlpha1; `method` labels the call's metrics.
grpc::ServerUnaryReactor* BulkPublish(const ApiContext& context, std::string_view method,
                                      CallOptions options, grpc::CallbackServerContext* call,
                                      const runtimepb::BulkPublishRequest* request,
                                      runtimepb::BulkPublishResponse* response) {
  auto* reactor = MeteredUnaryReactor::Start(context, method, request->pubsub_name());
  grpc::Status error;
  bool raw = false;
  auto pubsub = ResolveTopic(context, call, request->pubsub_name(), request->topic(),
                             request->metadata(), &raw, &error);
  if (!pubsub) {
    reactor->Finish(error);
    return reactor;
  }
  reactor->NoteFound(pubsub->name);
  std::set<std::string_view> seen;
  for (const auto& entry : request->entries()) {
    if (entry.entry_id().empty() || !seen.insert(entry.entry_id()).second) {
      reactor->Finish(pubsub_errors::BulkEntryIdInvalid(request->topic(), pubsub->name));
      return reactor;
    }
  }

  pubsubpb::BulkPublishRequest bulk;
  bulk.set_pubsub_name(request->pubsub_name());
  bulk.set_topic(request->topic());
  bulk.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  for (const auto& entry : request->entries()) {
    auto* out = bulk.add_entries();
    out->set_entry_id(entry.entry_id());
    // Entry metadata overrides the request's.
    auto& metadata = *out->mutable_metadata();
    metadata.insert(request->metadata().begin(), request->metadata().end());
    for (const auto& [key, value] : entry.metadata()) metadata[key] = value;
    if (raw) {
      out->set_event(entry.event());
      out->set_content_type(entry.content_type());
      continue;
    }
    auto envelope = EnvelopeFor(context, call, *pubsub, request->topic(), entry.content_type(),
                                entry.event(), metadata);
    if (!envelope.ok()) {
      reactor->Finish(pubsub_errors::CloudEventCreation());
      return reactor;
    }
    out->set_event(std::move(*envelope));
    out->set_content_type(cloud_events::kContentType);
  }

  if (HasFeature(*pubsub->component, kFeatureBulkPubSub)) {
    pubsub->As<PubSub>()->BulkPublish(
        std::move(bulk), options,
        [reactor, request, response, pubsub](const grpc::Status& status,
                                             pubsubpb::BulkPublishResponse result) {
          if (!status.ok()) {
            reactor->Finish(
                pubsub_errors::PublishFailed(request->topic(), request->pubsub_name(), status));
            return;
          }
          for (auto& failed : *result.mutable_failed_entries()) {
            auto* out = response->add_failedentries();
            out->set_entry_id(std::move(*failed.mutable_entry_id()));
            out->set_error(std::move(*failed.mutable_error()));
          }
          reactor->Finish(grpc::Status::OK);
        });
    return reactor;
  }

  std::vector<std::string> entry_ids;
  std::vector<pubsubpb::PublishRequest> requests;
  for (auto& entry : *bulk.mutable_entries()) {
    entry_ids.push_back(entry.entry_id());
    pubsubpb::PublishRequest& publish = requests.emplace_back();
    publish.set_pubsub_name(bulk.pubsub_name());
    publish.set_topic(bulk.topic());
    publish.set_data(std::move(*entry.mutable_event()));
    publish.set_content_type(std::move(*entry.mutable_content_type()));
    publish.mutable_metadata()->swap(*entry.mutable_metadata());
  }
  std::make_shared<FanOutPublish>(std::move(pubsub), options, std::move(entry_ids),
                                  std::move(requests), reactor, response)
      ->Pump();
  return reactor;
}

// SubscribeTopicEventsAlpha1: one app stream, one component subscription. The stream's state
// lives in Shared, which the component's deliveries hold on to; the reactor itself is deleted
// in OnDone, once Finish has run and every read and write has completed.
class TopicEventStream : public grpc::ServerBidiReactor<StreamRequest, StreamResponse> {
 public:
  TopicEventStream(ApiContext* context, grpc::CallbackServerContext* call)
      : context_(context), call_(call), shared_(std::make_shared<Shared>()) {
    shared_->stream = this;
    shared_->context = context;
    if (auto denied = Authorize(*context, call); !denied.ok()) {
      shared_->stream = nullptr;
      Finish(denied);
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the app closed its side or went away
      Shutdown(shared_, grpc::Status::OK);
      return;
    }
    if (!subscribed_) {
      subscribed_ = true;
      grpc::Status error = Subscribe();
      if (!error.ok()) {
        Shutdown(shared_, error);
        return;
      }
    } else if (request_.has_initial_request()) {
      Shutdown(shared_, pubsub_errors::DuplicateInitialRequest());
      return;
    } else if (request_.has_event_processed()) {
      Processed(request_.event_processed());
    }
    {
      std::lock_guard lock(shared_->mutex);
      if (shared_->stream == nullptr) return;  // shutting down: no more reads
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    TopicEventStream* finish = nullptr;
    StreamResponse* next = nullptr;
    {
      std::lock_guard lock(shared_->mutex);
      shared_->outbox.pop_front();
      if (ok && shared_->stream != nullptr && !shared_->outbox.empty()) {
        next = &shared_->outbox.front();
      } else {
        shared_->writing = false;
        if (shared_->stream == nullptr && !shared_->finished) {
          shared_->finished = true;
          finish = this;
        }
      }
    }
    if (next != nullptr) {
      StartWrite(next);
    } else if (finish != nullptr) {
      Finish(shared_->finish_status);
    } else if (!ok) {
      Shutdown(shared_, grpc::Status::OK);  // the app is gone
    }
  }

  void OnCancel() override { Shutdown(shared_, grpc::Status::CANCELLED); }

  void OnDone() override { delete this; }

 private:
  // A message at the app (or waiting to be sent again), and the component's ack for it.
  struct Pending {
    pubsubpb::PullMessagesResponse message;
    StatusCallback ack;
    // Under the pubsub's inbound policy, as daprd: a RETRY (or no answer within the timeout)
    // sends the event again after the policy's wait, until it gives up.
    RetryState retries;
    uint64_t attempt = 0;                // tells this attempt's timeout from a later one's
    std::unique_ptr<grpc::Alarm> timer;  // the attempt's timeout, or the wait before a resend
    delivery::BreakerCall breaker_call;  // the circuit breaker's permission for the attempt
  };

  // Everything a delivery may touch, guarded by `mutex`.
  struct Shared {
    std::mutex mutex;
    ApiContext* context = nullptr;
    // Null once the stream is shutting down: deliveries are then rejected.
    TopicEventStream* stream = nullptr;
    std::string pubsub_name;
    std::string topic;
    bool raw_payload = false;
    // Responses to write; the front one is being written while `writing`.
    std::deque<StreamResponse> outbox;
    bool writing = false;
    std::string dead_letter_topic;
    DeliveryPolicySpec policy;  // the pubsub's inbound policy; none: one attempt, no deadline
    std::shared_ptr<CircuitBreaker> breaker;  // the pubsub's inbound breaker, or null
    // The events sent and not yet processed (kept for the dead-letter topic), by event id
    // (ids may repeat).
    std::unordered_map<std::string, std::deque<Pending>> pending;
    // Events waiting to be sent again, by attempt number; `attempts` numbers them all.
    std::unordered_map<uint64_t, Pending> retrying;
    uint64_t attempts = 0;
    std::unique_ptr<Subscription> subscription;
    ActiveSubscriptions::Id registration = 0;
    grpc::Status finish_status;
    bool finished = false;  // Finish was called (or is being called)
  };

  grpc::Status Subscribe() {
    if (!request_.has_initial_request()) return pubsub_errors::InitialRequestRequired();
    const auto& initial = request_.initial_request();
    if (initial.pubsub_name().empty()) return pubsub_errors::StreamPubsubNameRequired();
    if (initial.topic().empty()) return pubsub_errors::StreamTopicRequired();
    if (!context_->instances->Find(ComponentKind::kPubSub, initial.pubsub_name())) {
      return pubsub_errors::NotFound(initial.pubsub_name());
    }
    grpc::Status error;
    auto instance =
        ResolveInstance(*context_, call_, ComponentKind::kPubSub, initial.pubsub_name(), &error);
    if (!instance) return error;
    auto raw = cloud_events::IsRawPayload(initial.metadata());
    if (!raw.ok()) return pubsub_errors::MetadataInvalid(std::string(raw.status().message()));

    runtimepb::PubsubSubscription listed;
    listed.set_pubsub_name(initial.pubsub_name());
    listed.set_topic(initial.topic());
    listed.mutable_metadata()->insert(initial.metadata().begin(), initial.metadata().end());
    listed.mutable_rules()->add_rules()->set_path("/");
    listed.set_dead_letter_topic(initial.dead_letter_topic());
    listed.set_type(runtimepb::STREAMING);

    StreamResponse* first = nullptr;
    {
      std::lock_guard lock(shared_->mutex);
      shared_->pubsub_name = initial.pubsub_name();
      shared_->topic = initial.topic();
      shared_->raw_payload = *raw;
      shared_->dead_letter_topic = initial.dead_letter_topic();
      if (const auto* policy =
              delivery::InboundPolicyOf(context_->pubsub_inbound_policies, initial.pubsub_name())) {
        shared_->policy = *policy;
        shared_->breaker = context_->inbound_breakers.Of(initial.pubsub_name(), *policy);
      }
      // Queued before subscribing, so it is the first thing the app reads; events delivered
      // meanwhile queue up behind it.
      shared_->outbox.emplace_back().mutable_initial_response();
      shared_->writing = true;
      first = &shared_->outbox.front();
    }

    std::weak_ptr<Shared> weak = shared_;
    auto registration = context_->subscriptions.Add(std::move(listed), [weak] {
      if (auto shared = weak.lock()) {
        Shutdown(shared, grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"));
      }
    });
    pubsubpb::Topic topic;
    topic.set_name(initial.topic());
    topic.mutable_metadata()->insert(initial.metadata().begin(), initial.metadata().end());
    auto subscription = instance->As<PubSub>()->Subscribe(
        std::move(topic), [weak](pubsubpb::PullMessagesResponse message, StatusCallback ack) {
          auto shared = weak.lock();
          if (!shared) {
            ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "subscriber disconnected"));
            return;
          }
          Pending pending;
          pending.message = std::move(message);
          pending.ack = std::move(ack);
          Deliver(shared, std::move(pending));
        });
    decltype(subscription) refused;  // closed meanwhile: closed here, outside the lock
    {
      std::lock_guard lock(shared_->mutex);
      // The app may have gone (OnCancel) or the host be shutting down while we subscribed.
      if (shared_->stream == nullptr) {
        refused = std::move(subscription);
      } else {
        shared_->subscription = std::move(subscription);
        shared_->registration = registration;
      }
    }
    if (refused) {
      refused->Close();
      context_->subscriptions.Remove(registration);
    } else {
      PH_LOG_INFO("pubsub", "streaming subscription to pubsub '{}' topic '{}' opened",
                  initial.pubsub_name(), initial.topic());
    }
    // Always started: `writing` was set above, so a Shutdown meanwhile waits for it to finish.
    StartWrite(first);
    return grpc::Status::OK;
  }

  // A message from the component, on one of its threads (or one sent again after a RETRY):
  // send it to the app and keep its ack until the app answers.
  static void Deliver(const std::shared_ptr<Shared>& shared, Pending pending) {
    const auto& message = pending.message;
    runtimepb::TopicEventRequest event;
    cloud_events::Received received;
    {
      std::lock_guard lock(shared->mutex);
      received.pubsub_name = shared->pubsub_name;
      received.topic = shared->topic;
      received.raw_payload = shared->raw_payload;
    }
    received.path = "/";
    auto decoded = cloud_events::ToTopicEvent(message, received, &event);
    if (!decoded.ok()) {
      PH_LOG_WARN("pubsub", "pubsub '{}' topic '{}': cannot decode message {}: {}",
                  received.pubsub_name, received.topic, message.id(), decoded.status().message());
      // It would not decode later either: dead-lettered, else acked, never redelivered.
      GiveUp(shared, std::move(pending), grpc::Status::OK);
      return;
    }
    if (*decoded == cloud_events::Decoded::kExpired) {
      PH_LOG_WARN("pubsub", "pubsub '{}' topic '{}': event {} has expired", received.pubsub_name,
                  received.topic, event.id());
      GiveUp(shared, std::move(pending), grpc::Status::OK);
      return;
    }
    std::shared_ptr<CircuitBreaker> breaker;
    {
      std::lock_guard lock(shared->mutex);
      breaker = shared->breaker;
    }
    pending.breaker_call = delivery::BreakerCall::Ask(std::move(breaker));
    if (pending.breaker_call.refused()) {  // open: fails at once, not retried, as daprd
      auto error = pending.breaker_call.RefusedStatus();
      GiveUp(shared, std::move(pending), std::move(error));
      return;
    }
    TopicEventStream* start_write = nullptr;
    StreamResponse* next = nullptr;
    std::optional<Pending> rejected;  // the stream is closing
    {
      std::lock_guard lock(shared->mutex);
      if (shared->stream == nullptr) {
        rejected = std::move(pending);
      } else {
        std::string id = event.id();
        if (shared->policy.timeout) {
          pending.attempt = ++shared->attempts;
          pending.timer = std::make_unique<grpc::Alarm>();
          pending.timer->Set(
              std::chrono::system_clock::now() + *shared->policy.timeout,
              [weak = std::weak_ptr<Shared>(shared), id, attempt = pending.attempt](bool fired) {
                if (!fired) return;
                if (auto shared = weak.lock()) TimedOut(shared, id, attempt);
              });
        }
        shared->outbox.emplace_back().mutable_event_message()->Swap(&event);
        shared->pending[id].push_back(std::move(pending));
        if (!shared->writing) {
          shared->writing = true;
          start_write = shared->stream;
          next = &shared->outbox.front();
        }
      }
    }
    if (rejected) {
      rejected->ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "subscriber disconnected"));
      return;
    }
    // `writing` keeps the reactor alive: Finish waits for this write to complete.
    if (start_write != nullptr) start_write->StartWrite(next);
  }

  // The policy's timeout passed without the app answering this attempt: a failed attempt.
  static void TimedOut(const std::shared_ptr<Shared>& shared, const std::string& id,
                       uint64_t attempt) {
    std::optional<Pending> pending;
    {
      std::lock_guard lock(shared->mutex);
      auto it = shared->pending.find(id);
      if (it == shared->pending.end()) return;
      auto& events = it->second;
      auto found = std::find_if(events.begin(), events.end(),
                                [&](const Pending& p) { return p.attempt == attempt; });
      if (found == events.end()) return;  // answered meanwhile
      pending = std::move(*found);
      events.erase(found);
      if (events.empty()) shared->pending.erase(it);
    }
    PH_LOG_WARN("pubsub", "pubsub '{}' topic '{}': the app did not process event {} in time",
                shared->pubsub_name, shared->topic, id);
    Recorded(shared, *pending, false);
    Failed(shared, std::move(*pending),
           grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "the app did not process the event within the policy's timeout"));
  }

  // Reports an attempt's outcome to the pubsub's circuit breaker, logging a state change.
  static void Recorded(const std::shared_ptr<Shared>& shared, Pending& pending, bool success) {
    pending.breaker_call.Record(success, shared->pubsub_name);
  }

  // An attempt failed: sent again after the policy's wait while it allows, else given up.
  static void Failed(const std::shared_ptr<Shared>& shared, Pending pending, grpc::Status error) {
    DeliveryPolicySpec policy;
    {
      std::lock_guard lock(shared->mutex);
      policy = shared->policy;
    }
    auto delay = pending.retries.Next(policy);
    if (!delay) {
      GiveUp(shared, std::move(pending), std::move(error));
      return;
    }
    auto finished_timer = std::move(pending.timer);  // released outside the lock
    std::optional<Pending> rejected;                 // the stream is closing
    {
      std::lock_guard lock(shared->mutex);
      if (shared->stream == nullptr) {
        rejected = std::move(pending);
      } else {
        uint64_t key = ++shared->attempts;
        Pending& waiting = shared->retrying[key];
        waiting = std::move(pending);
        waiting.timer = std::make_unique<grpc::Alarm>();
        waiting.timer->Set(std::chrono::system_clock::now() + *delay,
                           [weak = std::weak_ptr<Shared>(shared), key](bool) {
                             if (auto shared = weak.lock()) Resend(shared, key);
                           });
      }
    }
    if (rejected) {
      rejected->ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "subscriber disconnected"));
    }
  }

  // A retry's wait is over: the event goes to the app again (unless Shutdown took it).
  static void Resend(const std::shared_ptr<Shared>& shared, uint64_t key) {
    std::optional<Pending> pending;
    {
      std::lock_guard lock(shared->mutex);
      auto it = shared->retrying.find(key);
      if (it == shared->retrying.end()) return;
      pending = std::move(it->second);
      shared->retrying.erase(it);
    }
    auto finished_timer = std::move(pending->timer);
    Deliver(shared, std::move(*pending));
  }

  void Processed(const runtimepb::SubscribeTopicEventsRequestProcessedAlpha1& processed) {
    std::optional<Pending> pending;
    {
      std::lock_guard lock(shared_->mutex);
      auto it = shared_->pending.find(processed.id());
      if (it != shared_->pending.end()) {
        pending = std::move(it->second.front());
        it->second.pop_front();
        if (it->second.empty()) shared_->pending.erase(it);
      }
    }
    if (!pending) {
      PH_LOG_DEBUG("pubsub", "pubsub '{}' topic '{}': the app processed unknown event '{}'",
                   shared_->pubsub_name, shared_->topic, processed.id());
      return;
    }
    // As daprd, SUCCESS and DROP are successful calls for the circuit breaker.
    auto answer = processed.status().status();
    Recorded(shared_, *pending, answer == EventStatus::SUCCESS || answer == EventStatus::DROP);
    switch (answer) {
      case EventStatus::SUCCESS:
        pending->ack(grpc::Status::OK);
        break;
      case EventStatus::DROP:
        PH_LOG_WARN("pubsub", "pubsub '{}' topic '{}': the app dropped event {}",
                    shared_->pubsub_name, shared_->topic, processed.id());
        GiveUp(shared_, std::move(*pending), grpc::Status::OK);
        break;
      default:  // RETRY, and any status this host does not know, as daprd
        Failed(
            shared_, std::move(*pending),
            grpc::Status(grpc::StatusCode::ABORTED, "the app asked for the event to be retried"));
        break;
    }
  }

  // As daprd: to the stream's dead-letter topic, acked once it is there; without one, settled
  // with `without_dead_letter` (OK acks, an error has the component redeliver).
  static void GiveUp(const std::shared_ptr<Shared>& shared, Pending pending,
                     grpc::Status without_dead_letter) {
    std::string dead_letter_topic;
    std::string pubsub_name;
    {
      std::lock_guard lock(shared->mutex);
      dead_letter_topic = shared->dead_letter_topic;
      pubsub_name = shared->pubsub_name;
    }
    if (dead_letter_topic.empty()) {
      pending.ack(std::move(without_dead_letter));
      return;
    }
    auto pubsub = shared->context->instances->Find(ComponentKind::kPubSub, pubsub_name);
    if (!pubsub) {
      pending.ack(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "the pubsub of the dead-letter topic is gone"));
      return;
    }
    auto ack = std::make_shared<StatusCallback>(std::move(pending.ack));
    delivery::PublishDeadLetter(
        pubsub, dead_letter_topic, pending.message,
        [ack, pubsub_name, dead_letter_topic,
         id = pending.message.id()](const grpc::Status& status) {
          if (status.ok()) {
            PH_LOG_INFO("pubsub",
                        "pubsub '{}': streamed message {} sent to dead-letter topic "
                        "'{}'",
                        pubsub_name, id, dead_letter_topic);
            (*ack)(grpc::Status::OK);
            return;
          }
          PH_LOG_WARN("pubsub",
                      "pubsub '{}': publishing message {} to dead-letter topic '{}' "
                      "failed ({}); it will be redelivered",
                      pubsub_name, id, dead_letter_topic, status.error_message());
          (*ack)(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "dead-letter publish failed: " + status.error_message()));
        });
  }

  // Ends the stream once: no more deliveries, the component subscription closed, every event
  // the app has not processed rejected (so the component delivers it again), then Finish as
  // soon as no write is in flight. Safe from any thread.
  static void Shutdown(const std::shared_ptr<Shared>& shared, const grpc::Status& status) {
    TopicEventStream* finish = nullptr;
    std::unique_ptr<Subscription> subscription;
    std::unordered_map<std::string, std::deque<Pending>> unprocessed;
    std::unordered_map<uint64_t, Pending> retrying;
    ActiveSubscriptions::Id registration = 0;
    {
      std::lock_guard lock(shared->mutex);
      if (shared->stream == nullptr) return;
      finish = shared->stream;
      shared->stream = nullptr;
      shared->finish_status = status;
      subscription = std::move(shared->subscription);
      unprocessed.swap(shared->pending);
      retrying.swap(shared->retrying);
      registration = std::exchange(shared->registration, 0);
      // Queued responses are dropped; the one being written completes first.
      while (shared->outbox.size() > (shared->writing ? 1 : 0)) shared->outbox.pop_back();
      if (shared->writing) {
        finish = nullptr;  // OnWriteDone finishes
      } else {
        shared->finished = true;
      }
    }
    // Closing waits for a delivery under way, which needs the mutex: never hold it here.
    if (subscription) {
      subscription->Close();
      PH_LOG_INFO("pubsub", "streaming subscription to pubsub '{}' topic '{}' closed",
                  shared->pubsub_name, shared->topic);
    }
    if (registration != 0) shared->context->subscriptions.Remove(registration);
    for (auto& [id, events] : unprocessed) {
      for (auto& event : events) {
        event.ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "subscriber disconnected"));
      }
    }
    for (auto& [key, event] : retrying) {
      event.ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "subscriber disconnected"));
    }
    if (finish != nullptr) finish->Finish(status);
  }

  ApiContext* context_;
  grpc::CallbackServerContext* call_;
  std::shared_ptr<Shared> shared_;
  StreamRequest request_;
  bool subscribed_ = false;  // the initial request was read (only the reactor touches it)
};

}  // namespace

grpc::ServerUnaryReactor* DaprApi::PublishEvent(grpc::CallbackServerContext* call,
                                                const runtimepb::PublishEventRequest* request,
                                                google::protobuf::Empty* /*response*/) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Dapr/PublishEvent", request->pubsub_name());
  grpc::Status error;
  bool raw = false;
  auto pubsub = ResolveTopic(*context_, call, request->pubsub_name(), request->topic(),
                             request->metadata(), &raw, &error);
  if (!pubsub) {
    reactor->Finish(error);
    return reactor;
  }
  reactor->NoteFound(pubsub->name);
  pubsubpb::PublishRequest publish;
  publish.set_pubsub_name(request->pubsub_name());
  publish.set_topic(request->topic());
  publish.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  if (raw) {
    publish.set_data(request->data());
    publish.set_content_type(request->data_content_type());
  } else {
    auto envelope = EnvelopeFor(*context_, call, *pubsub, request->topic(),
                                request->data_content_type(), request->data(), request->metadata());
    if (!envelope.ok()) {
      reactor->Finish(pubsub_errors::CloudEventCreation());
      return reactor;
    }
    publish.set_data(std::move(*envelope));
    publish.set_content_type(cloud_events::kContentType);
  }
  pubsub->As<PubSub>()->Publish(
      std::move(publish), OptionsFor(call), [reactor, request, pubsub](const grpc::Status& status) {
        reactor->Finish(status.ok() ? status
                                    : pubsub_errors::PublishFailed(request->topic(),
                                                                   request->pubsub_name(), status));
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/PublishEvent");
}

grpc::ServerUnaryReactor* DaprApi::BulkPublishEventAlpha1(
    grpc::CallbackServerContext* call, const runtimepb::BulkPublishRequest* request,
    runtimepb::BulkPublishResponse* response) try {
  return BulkPublish(*context_, "Dapr/BulkPublishEventAlpha1", OptionsFor(call), call, request,
                     response);
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/BulkPublishEventAlpha1");
}

grpc::ServerUnaryReactor* DaprApi::BulkPublishEvent(grpc::CallbackServerContext* call,
                                                    const runtimepb::BulkPublishRequest* request,
                                                    runtimepb::BulkPublishResponse* response) try {
  return BulkPublish(*context_, "Dapr/BulkPublishEvent", OptionsFor(call), call, request, response);
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/BulkPublishEvent");
}

grpc::ServerBidiReactor<runtimepb::SubscribeTopicEventsRequestAlpha1,
                        runtimepb::SubscribeTopicEventsResponseAlpha1>*
DaprApi::SubscribeTopicEventsAlpha1(grpc::CallbackServerContext* call) {
  return new TopicEventStream(context_, call);
}

}  // namespace plughost
